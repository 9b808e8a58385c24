"""What a view needs from the application: the settings and the session factory."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from conveyor.db import SessionFactory
from conveyor.settings import Settings

EXTENSION = "conveyor"


@dataclass(frozen=True)
class Deps:
    settings: Settings
    session_factory: SessionFactory


def deps() -> Deps:
    """The settings and session factory of the application serving this request."""
    return current_app.extensions[EXTENSION]
