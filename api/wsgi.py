"""The WSGI entry point for mod_wsgi, mounted at the root: the routes carry ``api.prefix``.

Under mod_wsgi the front proxy's authentication (mod_auth_gssapi,
mod_auth_openidc) reaches the application as ``REMOTE_USER`` in the environ.
Settings come from ``$CONVEYOR_SETTINGS``, as for every Conveyor process.
"""

from __future__ import annotations

from api.app import create_app
from conveyor import settings as settings_mod
from conveyor.db import make_session_factory

_settings = settings_mod.load()
application = create_app(_settings, make_session_factory(_settings.database_url))
