"""``/api/1/``: the ODCS API v1, served by Conveyor, so ODCS clients work unchanged.

Routes, fields, state and source type codes, pagination and error bodies are
ODCS's. Reading is public; writing needs an authenticated caller
(``api.auth``) listed in ``odcs.allowed_clients`` for the compose's source
type, or one of ``api.admins`` (who may do anything). Like the module build
API it only writes rows and the outbox, in one transaction per request; the
compose consumer generates and removes.

Where Conveyor differs from ODCS: an identical request answers with the live
compose it reuses (its id), where ODCS makes a new compose pointing at it with
``reused_id``; PATCH of a removed or failed compose regenerates that same
compose (same id, same inputs) where ODCS makes a copy; PATCH also renews a
compose still in wait or generating.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy.orm import Session

import conveyor
from api import auth
from api.compose_inputs import compose_request, seconds_to_live
from api.compose_list import list_composes
from api.compose_serialize import compose_json
from api.context import deps
from api.errors import ApiError
from conveyor.composes import service
from conveyor.settings import Settings
from models.compose import Compose, locked

log = logging.getLogger(__name__)

blueprint = Blueprint("composes", __name__)
MAX_ID = 2**63 - 1
PATCH_FIELDS = frozenset({"seconds_to_live", "seconds-to-live", "label"})


@blueprint.get("/about/", strict_slashes=False)  # ODCS's client asks for /about
def about() -> Response:
    odcs = deps().settings.odcs
    return jsonify(
        {
            "version": conveyor.__version__,
            "auth_backend": odcs.auth_backend,
            "allowed_clients": odcs.allowed_clients.as_odcs(),
            "raw_config_urls": {},  # Conveyor makes no raw_config composes
            "sigkeys": list(odcs.sigkeys),
        }
    )


@blueprint.get("/composes/")
def get_composes() -> Response:
    settings = deps().settings
    with deps().session_factory() as session:
        return jsonify(list_composes(session, settings.composes.base_url))


@blueprint.get("/composes/<int:compose_id>")
def get_compose(compose_id: int) -> Response:
    with deps().session_factory() as session:
        compose = session.get(Compose, compose_id) if compose_id <= MAX_ID else None
        if compose is None:
            raise ApiError(404, "No such compose found.")
        return jsonify(compose_json(compose, deps().settings.composes.base_url))


@blueprint.post("/composes/")
def post_compose() -> Response:
    settings, session_factory = deps().settings, deps().session_factory
    caller = auth.authenticate(settings.api)
    _check_client(caller, settings)
    body = _json_body()
    wanted = compose_request(body, caller.user, settings)
    _check_allowed(caller, wanted.source_type, settings)
    with session_factory.begin() as session:
        try:
            compose, reused = service.request_compose(
                session, wanted, settings, cause=f"api:{caller.user}"
            )
        except service.ComposeRequestError as exc:
            raise ApiError(400, str(exc)) from exc
        result = compose_json(compose, settings.composes.base_url)
    log.info("compose #%d %s for %s", compose.id, "reused" if reused else "requested", caller.user)
    return jsonify(result)


@blueprint.patch("/composes/<int:compose_id>")
def patch_compose(compose_id: int) -> Response:
    """ODCS's renew: a done compose lives longer; a removed or failed one is regenerated."""
    settings, session_factory = deps().settings, deps().session_factory
    caller = auth.authenticate(settings.api)
    body = _json_body() if request.get_data() else {}
    if not isinstance(body, dict) or set(body) - PATCH_FIELDS:
        raise ApiError(400, "only seconds_to_live (and the same label) can be given: Conveyor "
                       "regenerates a compose from exactly its own inputs")  # fmt: skip
    seconds = seconds_to_live(body, settings)
    with session_factory.begin() as session:
        compose = _ours(session, compose_id)
        if body.get("label") not in (None, compose.label):  # ODCS would copy with a new label
            raise ApiError(400, "label: a compose keeps its label here; request a new compose")
        _check_allowed(caller, compose.source_type, settings)
        cause = f"api:{caller.user}"
        try:
            if compose.state in ("removed", "failed"):
                service.regenerate(session, compose, settings, cause=cause, seconds=seconds)
            else:
                service.renew(session, compose, seconds, settings)
        except service.ComposeRequestError as exc:
            raise ApiError(400, str(exc)) from exc
        result = compose_json(compose, settings.composes.base_url)
    return jsonify(result)


@blueprint.delete("/composes/<int:compose_id>")
def delete_compose(compose_id: int) -> tuple[Response, int]:
    """ODCS's delete: the owner (or an admin) cancels a waiting compose; admins remove."""
    settings, session_factory = deps().settings, deps().session_factory
    caller = auth.authenticate(settings.api)
    admin = auth.is_admin(caller, settings.api)
    with session_factory.begin() as session:
        compose = _ours(session, compose_id)
        cause = f"api:{caller.user}"
        if compose.state == "wait":
            if not admin and compose.owner != caller.user:
                raise ApiError(
                    403,
                    f"Compose (id={compose_id}) can not be canceled, it's owned by someone else.",
                )
            compose.transition(session, "failed", cause=cause, reason=f"Canceled by {caller.user}")
            message = f"Compose (id={compose_id}) has been canceled"
        else:
            if not admin:
                raise ApiError(403, f"User {caller.user} is not in role admins.")
            try:
                service.delete(session, compose, caller.user, cause=cause)
            except service.ComposeRequestError as exc:
                raise ApiError(400, str(exc)) from exc
            message = (
                f"The delete request for compose (id={compose_id}) has been accepted and will be "
                "processed by backend later."
            )
    log.info("compose #%d: %s (%s)", compose_id, message, caller.user)
    return jsonify({"status": 202, "message": message}), 202


def _json_body() -> Any:
    try:
        return json.loads(request.get_data())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}") from exc


def _ours(session: Session, compose_id: int) -> Compose:
    """Our compose, locked; 404 if none, 400 for a compose another service made."""
    compose = locked(session, compose_id) if compose_id <= MAX_ID else None
    if compose is None:
        raise ApiError(404, "No such compose found.")
    if compose.origin != "conveyor":
        raise ApiError(
            400, f"compose {compose_id} was made by {compose.origin}: only seen here, not managed"
        )
    return compose


def _check_client(caller: auth.Caller, settings: Settings) -> None:
    """ODCS's first check: an admin, or a user or group in ``allowed_clients``."""
    if auth.is_admin(caller, settings.api):
        return
    if not settings.odcs.allowed_clients.source_types(caller.user, caller.groups):
        raise ApiError(403, f"User {caller.user} not in allowed_clients.")


def _check_allowed(caller: auth.Caller, source_type: str, settings: Settings) -> None:
    """ODCS's second check: the caller's entries name the compose's source type."""
    _check_client(caller, settings)
    if auth.is_admin(caller, settings.api):
        return
    if source_type not in settings.odcs.allowed_clients.source_types(caller.user, caller.groups):
        raise ApiError(
            403,
            f"User {caller.user} not allowed to operate with compose with "
            f"source_types={source_type}.",
        )
