"""A newer push to the same component branch supersedes the chains still open for it.

The old chain is canceled with a link to the new one; its module builds that
are already current (they build, or built, the new commit) are taken over by
the new chain's items instead of being built twice; the others in progress
are canceled.
"""

from __future__ import annotations

from sqlalchemy import select

from consumers.context import HandlerContext
from conveyor.errors import Invalid
from models import ComponentBuild, ModuleBuild
from models.chain_item import ChainItem
from models.module_build import IN_PROGRESS
from models.module_build import locked as locked_module
from models.rebuild_chain import RebuildChain
from models.rebuild_chain import locked as locked_chain

OPEN = ("planned", "running", "failed")
# a taken-over build's item state, by the build's state (a passed item stays passed)
_ITEM_FOR = {"init": "building", "wait": "building", "build": "building", "done": "done"}


def supersede(ctx: HandlerContext, new: RebuildChain) -> list[int]:
    """Cancel the open chains of the same component branch; returns their ids."""
    query = (
        select(RebuildChain.id)
        .where(RebuildChain.trigger_namespace == new.trigger_namespace)
        .where(RebuildChain.trigger_name == new.trigger_name)
        .where(RebuildChain.trigger_branch == new.trigger_branch)
        .where(RebuildChain.state.in_(OPEN), RebuildChain.id != new.id)
        .order_by(RebuildChain.id)
    )
    superseded = []
    for chain_id in ctx.session.scalars(query).all():
        old = locked_chain(ctx.session, chain_id)
        if old is None or old.state not in OPEN:
            continue
        _take_over(ctx, old, new)
        old.superseded_by_id = new.id
        old.transition(ctx.session, "canceled", cause=ctx.message_id,
                       reason=f"superseded by rebuild chain #{new.id} "
                       f"({new.trigger} at {(new.trigger_commit or '')[:12]})")  # fmt: skip
        superseded.append(old.id)
    return superseded


def _take_over(ctx: HandlerContext, old: RebuildChain, new: RebuildChain) -> None:
    wanted = {item.ns: item for item in new.items}
    for item in old.items:
        module = locked_module(ctx.session, item.module_build_id) if item.module_build_id else None
        successor = wanted.get(item.ns)
        if _reusable(ctx, module, successor, new):
            to = "passed" if item.state == "passed" else _ITEM_FOR[module.state]
            successor.module_build_id = module.id
            successor.transition(ctx.session, to, cause=ctx.message_id,
                                 reason=f"module build #{module.id} taken over from "
                                 f"superseded chain #{old.id}")  # fmt: skip
            _skip(ctx, item, new)
            continue
        if module is not None and module.state in IN_PROGRESS:
            module.cancel(ctx.session, by=f"rebuild chain #{new.id}", cause=ctx.message_id)
        _skip(ctx, item, new)


def _reusable(
    ctx: HandlerContext, module: ModuleBuild | None, successor: ChainItem | None, new: RebuildChain
) -> bool:
    if module is None or successor is None or successor.state != "waiting":
        return False
    return module.state in _ITEM_FOR and _current(ctx, module, new)


def _current(ctx: HandlerContext, module: ModuleBuild, new: RebuildChain) -> bool:
    """Builds the new commit: init will resolve the branch now, or resolved it to that commit."""
    commits = ctx.session.scalars(
        select(ComponentBuild.commit).where(
            ComponentBuild.module_build_id == module.id,
            ComponentBuild.package == new.trigger_name,
        )
    ).all()
    if not commits:
        return module.state == "init"
    return all(commit == new.trigger_commit for commit in commits)


def _skip(ctx: HandlerContext, item: ChainItem, new: RebuildChain) -> None:
    if item.state in ("passed", "skipped"):
        return
    item.transition(ctx.session, "skipped", cause=ctx.message_id,
                    reason=f"superseded by rebuild chain #{new.id}")  # fmt: skip


class NotCancelable(Invalid):
    """Only an open chain (planned, running or failed) can be canceled."""


def cancel_chain(ctx: HandlerContext, chain_id: int, *, by: str) -> RebuildChain:
    """Stop a chain by hand: its builds in progress are canceled, waiting items skipped."""
    chain = locked_chain(ctx.session, chain_id)
    if chain is None:
        raise NotCancelable(f"rebuild chain #{chain_id} does not exist")
    if chain.state not in OPEN:
        raise NotCancelable(f"rebuild chain #{chain_id} is {chain.state}: only planned, "
                            "running or failed chains can be canceled")  # fmt: skip
    for item in chain.items:
        module = locked_module(ctx.session, item.module_build_id) if item.module_build_id else None
        if module is not None and module.state in IN_PROGRESS:
            module.cancel(ctx.session, by=f"{by} (rebuild chain #{chain.id})", cause=ctx.message_id)
        if item.state not in ("passed", "skipped"):
            item.transition(ctx.session, "skipped", cause=ctx.message_id,
                            reason=f"chain canceled by {by}")  # fmt: skip
    chain.transition(ctx.session, "canceled", cause=ctx.message_id, reason=f"canceled by {by}")
    return chain
