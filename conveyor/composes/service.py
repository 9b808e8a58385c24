"""The compose service: request (with ODCS's reuse), renew, delete, regenerate, expire.

Every function works in the caller's transaction and moves composes only through
``Compose.transition`` (trace + outbox announcement). The compose consumer does
the generation and file removal when it reads those announcements.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor.composes.modules import (
    ComposeRequestError,
    eol_problems,
    find_module,
    release_of,
    with_runtime_deps,
)
from conveyor.settings import Settings
from models.base import utcnow
from models.compose import SOURCE_TYPE_CODES, Compose, locked, record
from models.compose_content import ComposeContent
from models.site_dirty import mark_dirty

__all__ = [
    "ComposeRequest",
    "ComposeRequestError",
    "composes_containing",
    "contents_of",
    "delete",
    "expire_due",
    "regenerate",
    "renew",
    "request_compose",
]

REUSABLE_STATES = ("done", "generating")
_TOKEN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+~^:-]*$")  # tags, NVRs, NSVCs, package names
_ARCH = re.compile(r"^[A-Za-z0-9_]+$")  # arches become directory names
_SIGKEY = re.compile(r"^[0-9A-Fa-f]*$")
_FLAGS = frozenset({"no_deps", "no_inheritance", "include_unpublished_pulp_repos", "check_deps"})
_NVR = re.compile(r"^(?P<name>.+)-(?P<version>[^-]+)-(?P<release>[^-]+)$")
TagCheck = Callable[[str], bool]
TagsChanged = Callable[[list[str], int], bool]  # (tags, koji event) -> changed since?


@dataclass(frozen=True)
class ComposeRequest:
    """What a client asks for, with ODCS's field meanings."""

    source_type: str
    source: str  # space-separated tags, N:S[:V[:C]] or NVRs
    owner: str
    packages: tuple[str, ...] = ()
    arches: tuple[str, ...] = ()  # empty: settings.composes.default_arches
    sigkeys: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    seconds_to_live: int | None = None
    label: str | None = None
    compose_type: str | None = "test"
    release: str | None = None  # for the EOL check; modules default to their platform stream
    warnings: tuple[str, ...] = ()
    koji_event: int | None = None  # a tag compose pinned to koji as it was then: never reused


def request_compose(
    session: Session,
    request: ComposeRequest,
    settings: Settings,
    *,
    cause: str,
    tag_exists: TagCheck | None = None,
    tags_changed: TagsChanged | None = None,
) -> tuple[Compose, bool]:
    """Record a compose in ``wait``, or reuse an identical live one (True) and extend it.

    ``tag_exists`` (a koji look-up) makes a request for an unknown tag fail here,
    not later in generation; ``tags_changed`` (koji's tagChangedSinceEvent) lets a
    tag compose be reused while its tags have not moved since its koji event.
    """
    seconds = _seconds_to_live(request.seconds_to_live, settings)
    source, warnings = _resolved_source(session, request, settings, tag_exists)
    inputs = {
        "source_type": request.source_type,
        "source": source,
        "packages": sorted(set(_tokens("packages", request.packages, _TOKEN))),
        "arches": sorted(set(_tokens("arches", request.arches, _ARCH)))
        or sorted(settings.composes.default_arches),
        "sigkeys": sorted(set(_tokens("sigkeys", request.sigkeys, _SIGKEY))),
        "flags": sorted(set(_flags(request.flags))),
    }
    expires = utcnow() + timedelta(seconds=seconds)
    reused = None if request.koji_event is not None else _reusable(session, inputs, tags_changed)
    if reused is not None:
        reused.time_to_expire = max(reused.time_to_expire or expires, expires)
        mark_dirty(session, "compose", reused.id)  # no transition: the site's expiry moved
        return reused, True
    compose = Compose(
        origin="conveyor", owner=request.owner, label=request.label,
        compose_type=request.compose_type, release=request.release,
        warnings=sorted(set(warnings) | set(request.warnings)), time_to_expire=expires,
        koji_event=request.koji_event, **inputs,
    )  # fmt: skip
    record(session, compose, cause=cause, reason=f"requested by {request.owner}")
    return compose, False


def _seconds_to_live(asked: int | None, settings: Settings) -> int:
    limits = settings.composes
    if asked is None:
        return limits.default_seconds_to_live
    if asked <= 0:
        raise ComposeRequestError(f"seconds_to_live must be positive, got {asked}")
    if asked > limits.max_seconds_to_live:
        raise ComposeRequestError(
            f"seconds_to_live {asked} exceeds the maximum of {limits.max_seconds_to_live}"
        )
    return asked


def _tokens(what: str, values: tuple[str, ...], pattern: re.Pattern[str]) -> list[str]:
    bad = [v for v in values if not pattern.match(v)]
    if bad:
        raise ComposeRequestError(f"{what}: invalid value(s) {bad!r}")
    return list(values)


def _flags(flags: tuple[str, ...]) -> list[str]:
    unknown = sorted(set(flags) - _FLAGS)
    if unknown:
        raise ComposeRequestError(f"flags: unknown flag(s) {unknown}")
    return list(flags)


def _resolved_source(
    session: Session, request: ComposeRequest, settings: Settings, tag_exists: TagCheck | None
) -> tuple[str, list[str]]:
    """The source as stored (sorted, modules resolved to NSVCs) and any EOL warnings."""
    kind = request.source_type
    if kind not in SOURCE_TYPE_CODES:
        raise ComposeRequestError(f"unknown source_type {kind!r}")
    if kind not in settings.composes.allowed_source_types:
        raise ComposeRequestError(f"source_type {kind!r} cannot be requested here")
    tokens = _tokens("source", tuple(request.source.split()), _TOKEN)
    if not tokens:
        raise ComposeRequestError("source: empty")
    if kind == "tag":
        missing = [t for t in tokens if tag_exists is not None and not tag_exists(t)]
        if missing:
            raise ComposeRequestError(f"source: no such koji tag(s) {missing}")
    if kind == "build":
        bad = [t for t in tokens if not _NVR.match(t) or ":" in t]
        if bad:
            raise ComposeRequestError(f"source: not name-version-release: {bad}")
    if kind != "module":
        return " ".join(sorted(set(tokens))), []
    return _module_source(session, request, settings, tokens)


def _module_source(
    session: Session, request: ComposeRequest, settings: Settings, specs: list[str]
) -> tuple[str, list[str]]:
    modules = [find_module(session, spec) for spec in specs]
    base = settings.modules.base_modules
    if "no_deps" not in request.flags:
        modules = with_runtime_deps(session, modules, base)
    release = request.release or release_of(modules[0], base)
    problems = eol_problems(modules, release, settings.composes.release_eol(release or ""))
    if problems and settings.composes.eol_policy == "refuse":
        raise ComposeRequestError("; ".join(p.reason for p in problems))
    return " ".join(sorted({m.nsvc for m in modules})), [p.reason for p in problems]


def _reusable(session: Session, inputs: dict, tags_changed: TagsChanged | None) -> Compose | None:
    """ODCS's reuse: same inputs, done or generating, not yet expired.

    Modules (NSVC) and builds (NVR) never change. A tag moves: a tag compose is
    reused only when koji says its tags have not changed since the compose's
    koji event (so never without ``tags_changed``, nor before its event is pinned).
    """
    is_tag = inputs["source_type"] == "tag"
    if is_tag and tags_changed is None:
        return None
    query = (
        select(Compose)
        .where(Compose.origin == "conveyor", Compose.state.in_(REUSABLE_STATES))
        .where(Compose.source_type == inputs["source_type"], Compose.source == inputs["source"])
        .where(Compose.time_to_expire > utcnow())
        .order_by(Compose.id.desc())
        .with_for_update()
    )
    for candidate in session.scalars(query):
        if not all(getattr(candidate, k) == v for k, v in inputs.items()):
            continue
        if is_tag and (
            candidate.koji_event is None
            or tags_changed(candidate.source.split(), candidate.koji_event)  # type: ignore[misc]
        ):
            continue
        return candidate
    return None


def renew(session: Session, compose: Compose, seconds: int | None, settings: Settings) -> Compose:
    """Extend a live compose's life to ``seconds`` from now (ODCS's PATCH)."""
    if compose.state not in ("wait", "generating", "done"):
        raise ComposeRequestError(
            f"compose {compose.id} is {compose.state}: regenerate it instead of renewing"
        )
    compose.time_to_expire = utcnow() + timedelta(seconds=_seconds_to_live(seconds, settings))
    compose.updated_at = utcnow()
    mark_dirty(session, "compose", compose.id)  # no transition: the site's expiry moved
    return compose


def delete(session: Session, compose: Compose, by: str, *, cause: str) -> Compose:
    """Early removal (ODCS's DELETE): removed now; the compose consumer deletes the files."""
    if compose.state not in ("done", "failed"):
        raise ComposeRequestError(
            f"compose {compose.id} is {compose.state}: only done or failed composes can be deleted"
        )
    compose.removed_by = by
    compose.time_to_expire = utcnow()
    compose.transition(session, "removed", cause=cause, reason=f"deleted by {by}")
    return compose


def regenerate(
    session: Session,
    compose: Compose,
    settings: Settings,
    *,
    cause: str,
    seconds: int | None = None,
) -> Compose:
    """A removed or failed compose back to ``wait`` with the SAME inputs, koji event included."""
    if compose.state not in ("removed", "failed"):
        raise ComposeRequestError(
            f"compose {compose.id} is {compose.state}: only removed or failed composes regenerate"
        )
    if compose.origin != "conveyor":
        raise ComposeRequestError(f"compose {compose.id} was made by {compose.origin}, not here")
    compose.time_to_expire = utcnow() + timedelta(seconds=_seconds_to_live(seconds, settings))
    compose.transition(session, "wait", cause=cause, reason="regenerate: same inputs")
    return compose


def expire_due(session: Session, now: datetime | None = None, *, cause: str = "cron") -> list[int]:
    """Our done or failed composes past their time: removed. Returns their ids.

    Each row is locked and re-read; one already removed by someone else is skipped.
    """
    now = now or utcnow()
    ids = session.scalars(
        select(Compose.id)
        .where(Compose.origin == "conveyor", Compose.state.in_(("done", "failed")))
        .where(Compose.time_to_expire <= now)
        .order_by(Compose.id)
    ).all()
    expired = []
    for compose_id in ids:
        compose = locked(session, compose_id)
        if compose is None or compose.state not in ("done", "failed"):
            continue
        compose.transition(session, "removed", cause=cause, reason="expired")
        expired.append(compose_id)
    return expired


def contents_of(session: Session, compose_id: int) -> list[ComposeContent]:
    query = select(ComposeContent).where(ComposeContent.compose_id == compose_id)
    return list(session.scalars(query.order_by(ComposeContent.kind, ComposeContent.artifact)))


def composes_containing(session: Session, kind: str, artifact: str) -> list[Compose]:
    """Which composes contain build NVR (kind rpm) or module NSVC (kind module)."""
    query = (
        select(Compose)
        .join(ComposeContent, ComposeContent.compose_id == Compose.id)
        .where(ComposeContent.kind == kind, ComposeContent.artifact == artifact)
        .distinct()
        .order_by(Compose.id)
    )
    return list(session.scalars(query))
