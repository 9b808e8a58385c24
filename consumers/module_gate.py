"""The one place a module build moves ``done -> ready``: the CI gate.

Called when a module build reaches ``done`` (``module_batches.finish``), by
the CI handler for every module build a recorded result is about, and by the
cron job that times out missing results. The caller holds the module build
row lock; the gate re-checks the state, so a duplicate call changes nothing.
A module build of a running rebuild chain is held at ``done`` even when it
passes (``is_held``); the chain runner hears every new verdict and moves the
whole chain to ``ready`` together when its last tier passes.
"""

from __future__ import annotations

from consumers import chain_runner
from consumers.context import HandlerContext
from conveyor.gating import Verdict, module_verdict
from models.chain_item import is_held
from models.gating_decision import current, store
from models.module_build import ModuleBuild
from models.site_dirty import mark_dirty

HELD_AT_DONE = "modules.ready_on_done is false and no gating rule applies: held at done"


def gate_module(ctx: HandlerContext, module: ModuleBuild) -> Verdict | None:
    """Judge a ``done`` module build, keep the verdict, and move it to ``ready`` on a pass.

    None when the module build is not ``done`` (nothing to gate any more, or yet).
    """
    if module.state != "done":
        return None
    verdict = module_verdict(ctx.session, module, ctx.settings)
    if verdict.reason == "no gating required" and not ctx.settings.modules.ready_on_done:
        verdict = Verdict("waiting", HELD_AT_DONE)
    changed = _keep(ctx, module, verdict)
    if verdict.outcome == "passed" and not is_held(ctx.session, module.id):
        reason = f"CI gating passed: {verdict.reason}"
        module.transition(ctx.session, "ready", cause=ctx.message_id, reason=reason)
    elif not changed:
        return verdict  # judged the same before (a cron sweep): the chain knows already
    else:
        mark_dirty(ctx.session, "module_build", module.id)  # the site shows the new verdict
    chain_runner.module_gated(ctx, module, verdict)  # a rebuild chain advances, stops or waits
    return verdict


def _keep(ctx: HandlerContext, module: ModuleBuild, verdict: Verdict) -> bool:
    """Store the verdict if it says something new; True when it did."""
    row = current(ctx.session, module_build_id=module.id)
    if row is not None and (row.outcome, row.reason) == (verdict.outcome, verdict.reason):
        return False
    store(
        ctx.session, outcome=verdict.outcome, reason=verdict.reason, missing=verdict.missing,
        module_build_id=module.id,
    )  # fmt: skip
    return True
