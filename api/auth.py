"""Who is calling, and what they may do.

Authentication belongs to the front proxy (httpd with mod_auth_gssapi or
mod_auth_openidc): the user is ``REMOTE_USER`` in the WSGI environ and the
groups, when the proxy provides them, are ``OIDC_CLAIM_groups`` in the environ
(comma-separated, as mod_auth_openidc sets array claims). Both are environ
keys a client cannot set: request headers only ever appear as ``HTTP_*``, so an
``X-Remote-User`` header from a client is never read. Without a proxy,
``Authorization: Bearer <api.token>`` acts as ``api.token_user`` (sandbox, tests)
when ``api.token`` is set.

Authorization is the same for every user, token or not: ``api.allowed_users``
(``"*"`` = anyone authenticated) or a group in ``api.allowed_groups`` may submit;
the owner of a build may cancel it; ``api.admins`` may do everything.

``ProxyHeaders`` is for ``conveyor api`` behind an HTTP reverse proxy, which
cannot pass the environ: opted into by naming the header, it turns the
proxy's header into ``REMOTE_USER``; the proxy must then always overwrite
that header, and only the proxy may reach the port.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import request

from api.errors import ApiError
from conveyor.settings import ApiSettings

GROUPS_ENVIRON = "OIDC_CLAIM_groups"
MAX_USER_LENGTH = 200  # owner and "api:<user>" cause columns are 255 characters


@dataclass(frozen=True)
class Caller:
    user: str
    groups: frozenset[str] = frozenset()


def _groups(raw: Any) -> frozenset[str]:
    if not isinstance(raw, str):
        return frozenset()
    return frozenset(g.strip() for g in raw.split(",") if g.strip())


def _unauthorized(settings: ApiSettings, message: str) -> ApiError:
    headers = {"WWW-Authenticate": 'Bearer realm="conveyor"'} if settings.token else {}
    return ApiError(401, message, headers=headers)


def authenticate(settings: ApiSettings) -> Caller:
    """The calling user, or a 401."""
    user = request.environ.get("REMOTE_USER")
    if isinstance(user, str) and user:
        if len(user) > MAX_USER_LENGTH or "," in user:
            raise _unauthorized(settings, "the authenticated user name is not usable")
        return Caller(user, _groups(request.environ.get(GROUPS_ENVIRON)))
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and settings.token:
        if hmac.compare_digest(credentials.strip().encode(), settings.token.encode()):
            return Caller(settings.token_user)
        raise _unauthorized(settings, "the bearer token is not valid")
    raise _unauthorized(settings, "authentication required")


def is_admin(caller: Caller, settings: ApiSettings) -> bool:
    return caller.user in settings.admins


def may_submit(caller: Caller, settings: ApiSettings) -> bool:
    return (
        is_admin(caller, settings)
        or "*" in settings.allowed_users
        or caller.user in settings.allowed_users
        or not caller.groups.isdisjoint(settings.allowed_groups)
    )


def may_cancel(caller: Caller, owner: str, settings: ApiSettings) -> bool:
    return caller.user == owner or is_admin(caller, settings)


WsgiApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


class ProxyHeaders:
    """WSGI middleware: a trusted proxy's user (and groups) headers become the environ keys."""

    def __init__(self, app: WsgiApp, user_header: str, groups_header: str | None = None) -> None:
        self.app = app
        self.user_key = _environ_key(user_header)
        self.groups_key = _environ_key(groups_header) if groups_header else None

    def __call__(self, environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ.pop("REMOTE_USER", None)
        environ.pop(GROUPS_ENVIRON, None)
        user = environ.pop(self.user_key, "")
        if user and "," not in user:  # a comma: the header came twice, trust neither
            environ["REMOTE_USER"] = user
            if self.groups_key:
                environ[GROUPS_ENVIRON] = environ.pop(self.groups_key, "")
        return self.app(environ, start_response)


def _environ_key(header: str) -> str:
    return "HTTP_" + header.upper().replace("-", "_")
