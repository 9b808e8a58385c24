"""``<prefix>/module-builds/``: submit, list, show and cancel module builds.

A write request is one transaction; the git work of a submission (fetching the
modulemd, resolving the components) happens before the transaction opens, so
no database lock is held while git talks to dist-git.
"""

from __future__ import annotations

import logging
import math
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from api import auth, inputs, serialize
from api.context import deps
from api.errors import ApiError
from consumers import module_intake
from conveyor import scm
from conveyor.errors import Invalid, Retryable
from conveyor.modulemd import ModulemdInvalid
from conveyor.settings import Settings
from models.module_build import ALL_STATES, ModuleBuild, NotCancelable, locked

log = logging.getLogger(__name__)

blueprint = Blueprint("module_builds", __name__)

SUBMIT_FIELDS = frozenset({"scmurl", "branch"})
FILTERS = ("state", "name", "owner", "stream")
LIST_PARAMS = (*FILTERS, "page", "per_page", "verbose")
MAX_PER_PAGE = 100
MAX_ID = 2**63 - 1  # larger ids cannot exist (and would overflow the database driver)
# MBS's numbers for the same states, accepted in filters and PATCH for MBS clients.
MBS_STATES = {"0": "init", "1": "wait", "2": "build", "3": "done", "4": "failed", "5": "ready"}


@blueprint.post("/", strict_slashes=False)
def submit_build() -> tuple[Response, int, dict[str, str]]:
    settings, session_factory = deps().settings, deps().session_factory
    caller = auth.authenticate(settings.api)
    if not auth.may_submit(caller, settings.api):
        raise ApiError(403, f"user {caller.user} is not allowed to submit module builds")
    body = inputs.json_object(allowed=SUBMIT_FIELDS, required=frozenset({"scmurl"}))
    request_ = _prepare(inputs.string_field(body, "scmurl"), settings, inputs.branch_field(body))
    with session_factory.begin() as session:
        submission = module_intake.record(session, request_, caller.user, f"api:{caller.user}")
        build = submission.module_build
        if submission.outcome == "exists":
            raise ApiError(
                409,
                f"module build {build.nsv} already exists as #{build.id} in state "
                f"{build.state}: only a failed build can be resubmitted",
                module_build_id=build.id,
                module_build_state=build.state,
            )
        result = {**serialize.module_build(build), "outcome": submission.outcome}
    log.info("module build #%d %s %s by %s", build.id, build.nsv, submission.outcome, caller.user)
    location = f"{request.script_root}{request.path.rstrip('/')}/{build.id}"
    return jsonify(result), 201, {"Location": location}


def _prepare(scmurl: str, settings: Settings, branch: str | None) -> module_intake.ModuleRequest:
    """``prepare`` with its errors as responses: what a packager can fix is in ``reasons``."""
    try:
        return module_intake.prepare(scmurl, settings, branch)
    except scm.BadScmUrl as exc:
        raise ApiError(400, str(exc)) from exc
    except module_intake.ScmNotAllowed as exc:
        raise ApiError(403, str(exc)) from exc
    except ModulemdInvalid as exc:
        raise ApiError(422, f"the modulemd is invalid: {exc}", reasons=exc.reasons) from exc
    except module_intake.ComponentsUnavailable as exc:
        raise ApiError(422, f"components cannot be retrieved: {exc}", reasons=exc.problems) from exc
    except Invalid as exc:  # RefNotFound: no such commit, branch, file or repository
        raise ApiError(422, str(exc), reasons=[str(exc)]) from exc
    except Retryable as exc:  # GitUnavailable
        raise ApiError(503, f"dist-git is unavailable, try again later: {exc}") from exc


@blueprint.get("/", strict_slashes=False)
def list_builds() -> Response:
    settings, session_factory = deps().settings, deps().session_factory
    inputs.check_query(LIST_PARAMS)
    page = inputs.int_param("page", 1)
    default_size = max(1, min(settings.api.page_size, MAX_PER_PAGE))
    per_page = inputs.int_param("per_page", default_size, maximum=MAX_PER_PAGE)
    verbose = inputs.bool_param("verbose")
    filters = {name: inputs.values_param(name) for name in FILTERS}
    filters["state"] = [_state_name(value) for value in filters["state"]]
    query = _filtered(filters)
    offset = (page - 1) * per_page
    with session_factory() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        builds: list[ModuleBuild] = []
        if offset < total:
            if verbose:
                query = query.options(selectinload(ModuleBuild.components))
            query = query.order_by(ModuleBuild.id.desc()).offset(offset).limit(per_page)
            builds = list(session.scalars(query))
        items = [(serialize.module_build if verbose else serialize.summary)(b) for b in builds]
    return jsonify({"items": items, "meta": _meta(filters, verbose, page, per_page, total)})


def _state_name(value: str) -> str:
    name = MBS_STATES.get(value, value)
    if name not in ALL_STATES:
        raise ApiError(400, f"state: {value!r} is not one of {', '.join(sorted(ALL_STATES))}")
    return name


def _filtered(filters: dict[str, list[str]]) -> Select[tuple[ModuleBuild]]:
    query = select(ModuleBuild)
    for name, values in filters.items():
        if values:
            query = query.where(getattr(ModuleBuild, name).in_(values))
    return query


def _meta(
    filters: dict[str, list[str]], verbose: bool, page: int, per_page: int, total: int
) -> dict[str, Any]:
    pages = math.ceil(total / per_page)
    kept: list[tuple[str, str]] = [(k, v) for k, values in filters.items() for v in values]
    if verbose:
        kept.append(("verbose", "true"))

    def link(number: int) -> str:
        query = urlencode([*kept, ("page", str(number)), ("per_page", str(per_page))])
        return f"{request.script_root}{request.path}?{query}"

    return {
        "page": page,
        "per_page": per_page,
        "total": total,
        "pages": pages,
        "first": link(1),
        "last": link(max(pages, 1)),
        "next": link(page + 1) if page < pages else None,
        "prev": link(min(page - 1, pages)) if page > 1 and pages else None,
    }


@blueprint.get("/<int:build_id>")
def get_build(build_id: int) -> Response:
    with deps().session_factory() as session:
        build = session.get(ModuleBuild, build_id) if build_id <= MAX_ID else None
        if build is None:
            raise ApiError(404, f"no module build #{build_id}")
        return jsonify(serialize.module_build(build))


@blueprint.patch("/<int:build_id>")
def cancel_build(build_id: int) -> Response:
    settings, session_factory = deps().settings, deps().session_factory
    caller = auth.authenticate(settings.api)
    body = inputs.json_object(allowed=frozenset({"state"}), required=frozenset({"state"}))
    state = body["state"]
    if not (state == "failed" or (type(state) is int and MBS_STATES.get(str(state)) == "failed")):
        raise ApiError(400, f'state: only "failed" (cancel the build) can be set, got {state!r}')
    with session_factory.begin() as session:
        build = locked(session, build_id) if build_id <= MAX_ID else None
        if build is None:
            raise ApiError(404, f"no module build #{build_id}")
        if not auth.may_cancel(caller, build.owner, settings.api):
            raise ApiError(
                403, f"only {build.owner} or an admin may cancel module build #{build.id}"
            )
        try:
            build.cancel(session, by=caller.user, cause=f"api:{caller.user}")
        except NotCancelable as exc:
            raise ApiError(400, str(exc)) from exc
        result = serialize.module_build(build)
    log.info("module build #%d canceled by %s", build_id, caller.user)
    return jsonify(result)
