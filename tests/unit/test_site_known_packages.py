"""known_packages: a long-lived process reads every package once, then only checks for news."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, event

import models
from conveyor.db import make_session_factory
from models import Package
from site_generator.gather import packages
from site_generator.known_packages import every_package


@pytest.fixture
def factory(tmp_path):
    factory = make_session_factory(f"sqlite:///{tmp_path / 'conveyor.sqlite'}")
    models.Base.metadata.create_all(factory.kw["bind"])
    with factory.begin() as s:
        s.add_all(Package(namespace="rpms", name=n) for n in ("zsh", "bash", "Fish", "dash"))
    yield factory
    factory.kw["bind"].dispose()


def _read(factory) -> tuple[tuple, list[str]]:
    statements: list[str] = []
    engine = factory.kw["bind"]

    def record(_conn, _cursor, statement, *_rest):
        if statement.startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with factory() as s:
            rows, expected = every_package(s), packages(s)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert rows == expected  # always what a plain read gives, in its order
    return rows, statements[:-1]  # the statements of every_package only


def test_a_warm_process_reads_the_packages_once_then_one_small_query(factory):
    rows, first = _read(factory)
    assert [p.name for p in rows] == ["Fish", "bash", "dash", "zsh"]
    assert len(first) == 1 and "WHERE" not in first[0]  # all of them
    again, second = _read(factory)
    assert again == rows and len(second) == 1 and "count(*)" in second[0]


def test_a_new_or_deleted_package_makes_it_read_them_all_again(factory):
    _read(factory)
    with factory.begin() as s:
        s.add(Package(namespace="rpms", name="abc"))
    rows, statements = _read(factory)
    assert "abc" in [p.name for p in rows] and len(statements) == 2  # check, then read all
    with factory.begin() as s:
        s.execute(delete(Package).where(Package.name == "bash"))
    rows, statements = _read(factory)
    assert "bash" not in [p.name for p in rows] and len(statements) == 2
    _, statements = _read(factory)
    assert len(statements) == 1
