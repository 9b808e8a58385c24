"""Composes seen on the bus: record them, follow their states, record their contents.

States, from the messages (``consumers.parse_compose`` does the mapping):

- Pungi: ``STARTED`` -> generating; ``FINISHED`` and ``FINISHED_INCOMPLETE``
  -> done (the compose exists and is usable; incomplete means optional
  variants failed, which the reason keeps); ``DOOMED`` and ``TERMINATED`` ->
  failed. Pungi never announces ``wait`` or ``removed``.
- ODCS: its codes are Conveyor's states (0 wait, 1 generating, 2 done,
  3 removed, 4 failed).

A compose first seen in a later state (Pungi's ``FINISHED`` without a
``STARTED``) is recorded in that state. A message only moves a compose
forward (wait < generating < done|failed < removed), walking the transition
table through any states the bus skipped; a message for an earlier or the same
state (``STARTED`` after ``FINISHED``, a redelivery) changes nothing. The row
is locked and re-read first, as everywhere.

An ``odcs.compose.state-changed`` whose ODCS id is the remote id of one of
Conveyor's own composes (the ``odcs`` backend stored it in ``external_id``)
moves that local compose instead of recording a new one. Early states (wait,
generating) of an unlinked compose on the odcs backend's own server are not
recorded: they may overtake the commit that links them.

Contents: ODCS names the builds (NVRs) of a ``build`` compose and the
modules (NSVCs) of a ``module`` compose; they are recorded once, when the
compose is done. Pungi's messages name no contents (its metadata files would,
fetching them is not done here).
"""

from __future__ import annotations

from collections import deque
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from consumers.context import HandlerContext, Outcome
from consumers.events import ComposeDetails, ComposeStatus
from models.base import utcnow
from models.compose import SOURCE_TYPE_CODES, TRANSITIONS, Compose, record
from models.compose_content import ComposeContent

RANK = {"wait": 0, "generating": 1, "done": 2, "failed": 2, "removed": 3}
SOURCE_TYPE_NAMES = {code: name for name, code in SOURCE_TYPE_CODES.items()}


def status_changed(ctx: HandlerContext, event: ComposeStatus) -> Outcome:
    compose = None
    if event.origin == "odcs":
        compose = _locked_by_external(ctx, "conveyor", event.external_id)
    if compose is None:
        compose = _locked_by_external(ctx, event.origin, event.external_id)
    if compose is None and _unlinked_early(ctx, event):
        return Outcome.ignored(
            f"ODCS compose {event.external_id} of our odcs server is {event.state} and linked "
            "to no compose here (yet): only its later states are recorded"
        )
    if compose is None:
        compose = _first_seen(ctx, event)
        if compose is not None:
            _record_contents(ctx, compose, event.details)
            return Outcome.handled(
                f"{event.origin} compose {event.external_id} recorded as #{compose.id} "
                f"({compose.state})"
            )
        compose = _locked_by_external(ctx, event.origin, event.external_id)  # a replica won
    if compose is None:
        return Outcome.ignored(f"{event.origin} compose {event.external_id} vanished")
    return _follow(ctx, compose, event)


def _unlinked_early(ctx: HandlerContext, event: ComposeStatus) -> bool:
    """An early state of a compose on the server our odcs backend asks.

    Its first messages can overtake the commit that links it to the local
    compose it serves; recording them would make a second row for it.
    """
    server = ctx.settings.odcs.server_url
    if event.origin != "odcs" or event.state not in ("wait", "generating") or not server:
        return False
    if ctx.settings.composes.backend != "odcs" or not event.location:
        return False
    return urlsplit(event.location).netloc == urlsplit(server).netloc


def _locked_by_external(ctx: HandlerContext, origin: str, external_id: str) -> Compose | None:
    query = (
        select(Compose)
        .where(Compose.origin == origin, Compose.external_id == external_id)
        .with_for_update()
    )
    return ctx.session.scalars(query).one_or_none()


def _first_seen(ctx: HandlerContext, event: ComposeStatus) -> Compose | None:
    """A new row in the state the message reports; None when a replica inserted it first."""
    now = utcnow()
    compose = Compose(
        origin=event.origin,
        external_id=event.external_id,
        state=event.state,
        state_reason=event.reason or event.status,
        time_started=now if event.state != "wait" else None,
        time_done=now if event.state in ("done", "removed") else None,
        time_removed=now if event.state == "removed" else None,
        **_fields(event),
    )
    try:
        with ctx.session.begin_nested():
            record(ctx.session, compose, cause=ctx.message_id, reason=compose.state_reason)
    except IntegrityError:
        return None
    return compose


def _fields(event: ComposeStatus) -> dict:
    details = event.details
    if details is None:  # Pungi: the compose is its location
        return {
            "owner": "pungi",
            "source_type": "pungi_compose",
            "source": event.location or event.external_id,
            "result_repo_url": event.location,
        }
    return {
        "owner": details.owner or "odcs",
        "source_type": SOURCE_TYPE_NAMES[details.source_type],
        "source": details.source,
        "packages": list(details.packages),
        "arches": list(details.arches),
        "sigkeys": list(details.sigkeys),
        "koji_event": details.koji_event,
        "label": details.label,
        "compose_type": details.compose_type,
        "result_repo_url": details.result_repo,
        "result_repofile": details.result_repofile,
        "time_to_expire": details.time_to_expire,
        "removed_by": details.removed_by,
    }


def _follow(ctx: HandlerContext, compose: Compose, event: ComposeStatus) -> Outcome:
    name = f"compose #{compose.id} ({event.origin} {event.external_id})"
    if RANK[event.state] <= RANK[compose.state]:
        return Outcome.ignored(
            f"stale: {name} is already {compose.state}, message says {event.state}"
        )
    path = _path(compose.state, event.state)
    if not path:
        return Outcome.ignored(f"{name} is {compose.state} and cannot become {event.state}")
    for step in path:
        reason = event.reason if step == event.state else f"implied by {event.status}"
        compose.transition(ctx.session, step, cause=ctx.message_id, reason=reason or event.status)
    _update_details(compose, event)
    _record_contents(ctx, compose, event.details)
    return Outcome.handled(f"{name} is {compose.state}")


def _path(start: str, goal: str) -> list[str]:
    """The shortest walk along allowed, forward-moving edges; [] when there is none.

    ``failed`` is never implied on the way: a compose reported removed was done.
    """
    seen, queue = {start}, deque([(start, [])])
    while queue:
        state, walked = queue.popleft()
        for nxt in sorted(TRANSITIONS.get(state, frozenset())):
            if nxt in seen or RANK[nxt] <= RANK[state]:
                continue  # backward edges are regenerations, never implied by the bus
            if nxt == goal:
                return [*walked, nxt]
            if nxt == "failed":
                continue
            seen.add(nxt)
            queue.append((nxt, [*walked, nxt]))
    return []


def _update_details(compose: Compose, event: ComposeStatus) -> None:
    details = event.details
    if details is None:
        compose.result_repo_url = event.location or compose.result_repo_url
        return
    compose.result_repo_url = details.result_repo or compose.result_repo_url
    compose.result_repofile = details.result_repofile or compose.result_repofile
    compose.time_to_expire = details.time_to_expire or compose.time_to_expire
    compose.removed_by = details.removed_by or compose.removed_by
    if compose.koji_event is None:
        compose.koji_event = details.koji_event


def _record_contents(ctx: HandlerContext, compose: Compose, details: ComposeDetails | None) -> None:
    if details is None or compose.state != "done":
        return
    known = ctx.session.scalar(
        select(func.count())
        .select_from(ComposeContent)
        .where(ComposeContent.compose_id == compose.id)
    )
    if known:
        return
    # The message names builds, not RPM files: a build compose holds each
    # build's packages for every arch of the compose.
    arches = list(details.arches) or ["src"]
    nvrs = details.builds
    if not nvrs and details.source_type == SOURCE_TYPE_CODES["build"]:
        nvrs = tuple(details.source.split())  # Conveyor's own announcements keep them there
    for nvr in nvrs:
        name = nvr.rsplit("-", 2)[0]
        for arch in arches:
            ctx.session.add(
                ComposeContent(
                    compose_id=compose.id, kind="rpm", artifact=nvr, name=name, arch=arch
                )
            )
    if compose.source_type == "module":
        for nsvc in details.source.split():
            ctx.session.add(
                ComposeContent(
                    compose_id=compose.id, kind="module", artifact=nsvc, name=nsvc.split(":")[0]
                )
            )
