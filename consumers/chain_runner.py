"""Run rebuild chains: advance on gating verdicts, stop on failures, resume on fixes.

Called by the CI gate (``consumers/module_gate.gate_module``) after it judged
a ``done`` module build, and by ``module_batches.fail_module``. The caller holds
the module build row lock; here the chain row is locked and re-read, so a
duplicate or reordered message finds the work done and changes nothing.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from consumers.chain_start import advance
from consumers.chain_triggers import after_ready
from consumers.context import HandlerContext
from models import ModuleBuild
from models.chain_item import ChainItem, resumable_item
from models.rebuild_chain import RebuildChain
from models.rebuild_chain import locked as locked_chain


class Verdict(Protocol):
    outcome: str  # passed | failed | waiting
    reason: str


def module_gated(ctx: HandlerContext, module: ModuleBuild, verdict: Verdict) -> None:
    """The gate judged a done module build: move its chain item and maybe the chain."""
    item = _item_of(ctx.session, module)
    if item is None:
        if verdict.outcome == "passed" and not _resume(ctx, module):
            after_ready(ctx, module)  # a build outside chains: its dependants rebuild
        return
    chain = lock_chain(ctx.session, item.chain_id)
    item = ctx.session.get(ChainItem, item.id, populate_existing=True)
    if chain is None or item is None or item.module_build_id != module.id:
        return
    if verdict.outcome == "waiting":
        if item.state == "building":
            item.transition(ctx.session, "done", cause=ctx.message_id, reason="waiting for CI")
    elif verdict.outcome == "passed":
        _passed(ctx, chain, item, f"module build #{module.id} passed: {verdict.reason}")
    elif item.state in ("building", "done"):  # a passed item stays passed: its tier moved on
        reason = f"{item.ns} (module build #{module.id}) failed CI: {verdict.reason}"
        _fail(ctx, chain, item, reason)


def module_failed(ctx: HandlerContext, module: ModuleBuild, reason: str) -> None:
    """A module build of a chain failed: the chain stops at that tier."""
    item = _item_of(ctx.session, module)
    if item is None:
        return
    chain = lock_chain(ctx.session, item.chain_id)
    item = ctx.session.get(ChainItem, item.id, populate_existing=True)
    if chain is None or item is None or item.state in ("failed", "skipped", "passed"):
        return
    _fail(ctx, chain, item, f"{item.ns} (module build #{module.id}) failed: {reason}")


def _passed(ctx: HandlerContext, chain: RebuildChain, item: ChainItem, reason: str) -> None:
    if item.state in ("passed", "skipped"):
        return
    item.transition(ctx.session, "passed", cause=ctx.message_id, reason=reason)
    if chain.state == "failed" and chain.failed_tier == item.tier:
        if any(i.state == "failed" for i in chain.tier_items(item.tier)):
            return  # another stream of the tier still needs its fix
        chain.transition(ctx.session, "running", cause=ctx.message_id,
                         reason=f"resumed: {item.ns} {reason}")  # fmt: skip
    advance(ctx, chain)


def _fail(ctx: HandlerContext, chain: RebuildChain, item: ChainItem, reason: str) -> None:
    item.transition(ctx.session, "failed", cause=ctx.message_id, reason=reason)
    if chain.state == "running":
        chain.failed_tier = item.tier
        chain.transition(ctx.session, "failed", cause=ctx.message_id,
                         reason=f"tier {item.tier}: {reason}")  # fmt: skip


def _resume(ctx: HandlerContext, module: ModuleBuild) -> bool:
    """A newer build of a failed item's stream passed: the item takes it, the chain resumes."""
    found = resumable_item(ctx.session, module.name, module.stream, module.id)
    if found is None:
        return False
    chain = lock_chain(ctx.session, found.chain_id)
    item = ctx.session.get(ChainItem, found.id, populate_existing=True)
    if chain is None or item is None or item.state != "failed" or chain.state != "failed":
        return False
    item.module_build_id = module.id
    _passed(ctx, chain, item, f"fixed build #{module.id} of {item.ns} passed")
    return True


def _item_of(session: Session, module: ModuleBuild) -> ChainItem | None:
    """The item this build rebuilds, newest chain first (a superseded chain's item is skipped)."""
    query = (
        select(ChainItem)
        .where(ChainItem.module_build_id == module.id)
        .where(ChainItem.state != "skipped")
        .order_by(ChainItem.chain_id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


def lock_chain(session: Session, chain_id: int) -> RebuildChain | None:
    chain = locked_chain(session, chain_id)
    if chain is not None:
        session.refresh(chain)
        for item in chain.items:
            session.refresh(item)
    return chain
