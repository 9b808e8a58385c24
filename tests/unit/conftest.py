"""Fixtures for the unit tests: a temporary SQLite database, default settings, a fake koji."""

from __future__ import annotations

import pytest

import models
from consumers.pipeline import Deps
from conveyor.db import make_session_factory
from conveyor.settings import Settings, parse
from tests.unit.fakes import FakeKoji


@pytest.fixture
def settings() -> Settings:
    """The built-in defaults, untouched by the environment of whoever runs the tests."""
    return parse({}, env={})


@pytest.fixture
def session_factory(tmp_path):
    factory = make_session_factory(f"sqlite:///{tmp_path / 'conveyor.sqlite'}")
    models.Base.metadata.create_all(factory.kw["bind"])
    yield factory
    factory.kw["bind"].dispose()


@pytest.fixture
def koji() -> FakeKoji:
    return FakeKoji()


@pytest.fixture
def deps(session_factory, settings, koji) -> Deps:
    return Deps(session_factory, settings, koji)
