"""The Flask application factory: settings and a session factory in, a WSGI app out."""

from __future__ import annotations

from flask import Flask

from api import composes, errors, module_builds
from api.context import EXTENSION, Deps
from conveyor.db import SessionFactory
from conveyor.settings import Settings

MAX_BODY_BYTES = 64 * 1024


def create_app(settings: Settings, session_factory: SessionFactory) -> Flask:
    """Module builds under ``settings.api.prefix``, ODCS's API at ``/api/1``; errors are JSON."""
    app = Flask("api")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions[EXTENSION] = Deps(settings, session_factory)
    errors.register(app)
    app.register_blueprint(
        module_builds.blueprint, url_prefix=f"{settings.api.prefix}/module-builds"
    )
    app.register_blueprint(composes.blueprint, url_prefix="/api/1")  # ODCS's own prefix
    return app
