"""The compose consumer's own announcements: wait -> generating -> done | failed; removed.

Two messages, two transactions: the ``wait`` announcement moves the compose to
``generating`` (committed, announced); the ``generating`` announcement runs the
backend and records the result. A ``generating`` message redelivered after a
crash finds the compose still generating and makes it again from scratch (the
backend never appends). Every handler locks the row and re-reads it, so a stale
or duplicate message changes nothing. Koji being down is ``Retryable``: the
transaction rolls back and the message is retried.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from consumers.context import HandlerContext, Outcome
from consumers.fields import integer, mapping, text
from conveyor.composes.backends import (
    Backend,
    ComposeInputs,
    GenerationFailed,
    ModuleSource,
    Result,
    backend_for,
)
from conveyor.errors import Invalid
from conveyor.settings import Settings
from models import Compose, ComposeContent, ModuleBuild
from models.compose import ALL_STATES, locked


@dataclass(frozen=True)
class ComposeStateChange:
    """Conveyor's own announcement: the next step for that compose."""

    compose_id: int
    state: str


def parse_compose_state_change(topic: str, body: Any) -> ComposeStateChange:
    compose = mapping(body, "compose")
    state = text(compose, "state_name", where="body.compose")
    if state not in ALL_STATES:
        raise Invalid(f"body.compose.state_name: {state!r} is not a compose state")
    return ComposeStateChange(integer(compose, "id", "body.compose"), state)


_BACKENDS: dict[int, tuple[Settings, Backend]] = {}


def _backend(settings: Settings) -> Backend:
    """One backend (and koji session) per process and settings object.

    Keyed by identity, not by value: settings sections need not be hashable.
    """
    found = _BACKENDS.get(id(settings))
    if found is None or found[0] is not settings:
        found = _BACKENDS[id(settings)] = (settings, backend_for(settings))
    return found[1]


def state_changed(ctx: HandlerContext, event: ComposeStateChange) -> Outcome:
    compose = locked(ctx.session, event.compose_id)
    if compose is None or compose.origin != "conveyor":
        return Outcome.ignored(f"compose #{event.compose_id} is not one Conveyor makes")
    if compose.state != event.state:
        return Outcome.ignored(f"stale: compose #{compose.id} is already {compose.state}")
    if compose.state == "wait":
        compose.transition(ctx.session, "generating", cause=ctx.message_id)
        return Outcome.handled(f"compose #{compose.id} is generating")
    if compose.state == "generating":
        return generate(ctx, compose, _backend(ctx.settings))
    if compose.state == "removed":
        return remove_files(ctx, compose, _backend(ctx.settings))
    return Outcome.ignored(f"compose #{compose.id} is {compose.state}: nothing to do")


def generate(ctx: HandlerContext, compose: Compose, backend: Backend) -> Outcome:
    """Run the backend on the pinned inputs; done, failed with the reason, or pending."""
    try:
        result = backend.generate(compose, inputs_for(ctx, compose))
    except GenerationFailed as exc:
        compose.transition(ctx.session, "failed", cause=ctx.message_id, reason=str(exc))
        return Outcome.handled(f"compose #{compose.id} failed: {exc}")
    _apply(ctx, compose, result)
    if result.pending:  # an external service finishes it; its message moves it on
        return Outcome.handled(f"compose #{compose.id} submitted to {backend.name}")
    compose.transition(ctx.session, "done", cause=ctx.message_id)
    return Outcome.handled(f"compose #{compose.id} done: {compose.result_repo_dir}")


def remove_files(ctx: HandlerContext, compose: Compose, backend: Backend) -> Outcome:
    try:
        backend.remove(compose)
    except GenerationFailed as exc:  # a path we refuse to touch: keep the reason, move on
        return Outcome.handled(f"compose #{compose.id} removed; files kept: {exc}")
    return Outcome.handled(f"compose #{compose.id} removed; files deleted")


def inputs_for(ctx: HandlerContext, compose: Compose) -> ComposeInputs:
    return ComposeInputs(
        compose_id=compose.id,
        source_type=compose.source_type,
        sources=tuple(compose.sources),
        koji_event=compose.koji_event,
        packages=tuple(compose.packages),
        arches=tuple(compose.arches) or ctx.settings.composes.default_arches,
        sigkeys=tuple(compose.sigkeys),
        flags=tuple(compose.flags),
        modules=_module_sources(ctx, compose) if compose.source_type == "module" else (),
    )


def _module_sources(ctx: HandlerContext, compose: Compose) -> tuple[ModuleSource, ...]:
    """Koji tag and modulemd of every module source (NSVCs stored resolved at request time)."""
    wanted = set(compose.sources)
    rows = ctx.session.execute(
        select(
            ModuleBuild.name, ModuleBuild.stream, ModuleBuild.version, ModuleBuild.context,
            ModuleBuild.koji_tag, ModuleBuild.modulemd,
        ).where(ModuleBuild.name.in_({s.split(":")[0] for s in wanted}))
    )  # fmt: skip
    found = {
        f"{n}:{s}:{v}:{c}": ModuleSource(f"{n}:{s}:{v}:{c}", tag, text)
        for n, s, v, c, tag, text in rows
        if tag
    }
    missing = sorted(wanted - set(found))
    if missing:
        raise GenerationFailed(f"module build(s) {missing} unknown or without a koji tag")
    return tuple(found[nsvc] for nsvc in sorted(wanted))


def _apply(ctx: HandlerContext, compose: Compose, result: Result) -> None:
    """Record what was made; a regeneration replaces the previous contents."""
    compose.koji_event = result.koji_event if result.koji_event is not None else compose.koji_event
    compose.result_repo_dir = result.repo_dir
    compose.result_repo_url = result.repo_url
    compose.result_repofile = result.repofile_url
    compose.external_id = result.external_id or compose.external_id
    ctx.session.execute(delete(ComposeContent).where(ComposeContent.compose_id == compose.id))
    ctx.session.add_all(
        ComposeContent(compose_id=compose.id, kind=c.kind, artifact=c.artifact, name=c.name,
                       arch=c.arch)
        for c in result.contents
    )  # fmt: skip


__all__ = ["ComposeStateChange", "generate", "parse_compose_state_change", "state_changed"]
