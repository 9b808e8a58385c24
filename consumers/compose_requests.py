"""Automatic compose requests: a module build reaching ``done``, a rebuild chain completing.

They run inside the handler's transaction (a savepoint each, so a refused request
never undoes the module's own progress). A request the service refuses (no usable
runtime dependency, a module ending before its release) is recorded as a
``failed`` compose with the reason: nobody reads a 400 from an automatic request,
everybody can read a failed compose on the status site.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from consumers.context import HandlerContext
from conveyor.composes.service import ComposeRequest, ComposeRequestError, request_compose
from models import Compose, ModuleBuild
from models.base import utcnow
from models.compose import record

log = logging.getLogger(__name__)
OWNER = "conveyor"


def request_module_compose(ctx: HandlerContext, module: ModuleBuild) -> Compose | None:
    """A compose of the module plus its runtime dependencies, so QA can install it."""
    if not ctx.settings.composes.auto_module_composes:
        return None
    request = ComposeRequest("module", module.nsvc, OWNER, label=f"module-{module.id}")
    return _request(ctx, request, f"module build #{module.id}")


def request_chain_compose(
    ctx: HandlerContext, module_builds: list[ModuleBuild], chain_id: int
) -> Compose | None:
    """One compose with every module a completed rebuild chain built (and their deps)."""
    if not ctx.settings.composes.auto_module_composes or not module_builds:
        return None
    source = " ".join(sorted({m.nsvc for m in module_builds}))
    request = ComposeRequest("module", source, OWNER, label=f"chain-{chain_id}")
    return _request(ctx, request, f"rebuild chain #{chain_id}")


def _request(ctx: HandlerContext, request: ComposeRequest, what: str) -> Compose:
    try:
        with ctx.session.begin_nested():
            compose, reused = request_compose(
                ctx.session, request, ctx.settings, cause=ctx.message_id
            )
    except ComposeRequestError as exc:
        log.warning("%s: compose refused: %s", what, exc)
        return _refused(ctx, request, str(exc))
    log.info("%s: compose #%s %s", what, compose.id, "reused" if reused else "requested")
    return compose


def _refused(ctx: HandlerContext, request: ComposeRequest, reason: str) -> Compose:
    compose = Compose(
        origin="conveyor", owner=request.owner, source_type=request.source_type,
        source=request.source, label=request.label, compose_type=request.compose_type,
        arches=list(ctx.settings.composes.default_arches), state="failed",
        state_reason=f"refused: {reason}",
        time_to_expire=utcnow() + timedelta(seconds=ctx.settings.composes.default_seconds_to_live),
    )  # fmt: skip
    return record(ctx.session, compose, cause=ctx.message_id, reason=f"refused: {reason}")
