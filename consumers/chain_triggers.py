"""What starts a rebuild chain: a component push (branch pinning) or a new ready module.

A push to ``rpms/<name>`` on a branch rebuilds the module streams that include
that component at that branch name (those whose newest build is done or ready),
then their buildrequiring dependants. A
module build that became ``ready`` outside any chain rebuilds the streams that
buildrequire it (builds of a chain never trigger one: no loops). Both are
idempotent: the same push commit or the same module build starts one chain.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import exists, or_, select

from consumers.chain_start import start_chain
from consumers.context import HandlerContext
from consumers.events import DistGitPush
from conveyor.chain_plan import plan_for_component, plan_for_module
from conveyor.deps import DepGraph
from models import ModuleBuild
from models.module_component_ref import ModuleComponentRef
from models.rebuild_chain import RebuildChain


def after_push(ctx: HandlerContext, push: DistGitPush) -> RebuildChain | None:
    """Plan and start the chain a component push calls for (None when there is none)."""
    if push.namespace == ctx.settings.modules.namespace or push.deletes_branch or push.fork:
        return None
    if not ctx.settings.pusher_allowed(push.pusher):
        return None
    seen = select(RebuildChain.id).where(
        RebuildChain.trigger_namespace == push.namespace,
        RebuildChain.trigger_name == push.name,
        RebuildChain.trigger_branch == push.branch,
        RebuildChain.trigger_commit == push.new_commit,
    )
    if ctx.session.scalar(select(exists(seen))):
        return None  # a redelivered push
    if not _pinned_anywhere(ctx, push.name, push.branch):
        return None  # most rpms are in no module: spare loading the whole graph
    graph = _graph(ctx)
    plan = plan_for_component(graph, push.name, push.branch,
                              default_ref=ctx.settings.modules.default_component_ref,
                              eligible=_built(ctx, graph.including(push.name)))  # fmt: skip
    if not plan.tiers:
        return None
    return start_chain(
        ctx, plan, kind="push", requester=push.pusher or "(unknown)",
        trigger_namespace=push.namespace, trigger_name=push.name, trigger_branch=push.branch,
        trigger_commit=push.new_commit,
    )  # fmt: skip


def after_ready(ctx: HandlerContext, module: ModuleBuild) -> RebuildChain | None:
    """A module build outside any chain became ready: rebuild what buildrequires it."""
    if module.state != "ready":
        return None
    seen = select(RebuildChain.id).where(RebuildChain.trigger_module_build_id == module.id)
    if ctx.session.scalar(select(exists(seen))):
        return None
    ns = f"{module.name}:{module.stream}"
    plan = plan_for_module(_graph(ctx), ns)
    if not plan.tiers:
        return None
    return start_chain(ctx, plan, kind="module", requester=module.owner, trigger_module=ns,
                       trigger_module_build_id=module.id)  # fmt: skip


def _built(ctx: HandlerContext, streams: Iterable[str]) -> frozenset[str]:
    """The streams whose newest module build is done or ready: those a push rebuilds.

    A stream whose newest build failed is its maintainer's to resume (a resume picks
    the pushed fix up from the branch); one still building resolved its components
    already (``conveyor branch-history stale-builds`` lists it if that was before the
    push). Rebuilding either from here would build the same thing twice.
    """
    wanted = {tuple(ns.split(":", 1)) for ns in streams}
    if not wanted:
        return frozenset()
    names = {name for name, _ in wanted}
    rows = ctx.session.execute(
        select(ModuleBuild.name, ModuleBuild.stream, ModuleBuild.state)
        .where(ModuleBuild.name.in_(names))
        .order_by(ModuleBuild.version.desc(), ModuleBuild.id.desc())
    )
    newest: dict[tuple[str, str], str] = {}
    for name, stream, state in rows:
        newest.setdefault((name, stream), state)
    return frozenset(
        f"{name}:{stream}"
        for (name, stream), state in newest.items()
        if (name, stream) in wanted and state in ("done", "ready")
    )


def _pinned_anywhere(ctx: HandlerContext, name: str, branch: str) -> bool:
    """Whether any recorded definition (current or older) has rpms/<name> at ``branch``:
    one indexed lookup; the plan then reads the current definitions only."""
    ref = ModuleComponentRef.ref
    at_branch = ref == branch
    if branch == ctx.settings.modules.default_component_ref:
        at_branch = or_(at_branch, ref.is_(None))
    query = select(ModuleComponentRef.id).where(ModuleComponentRef.rpm == name, at_branch)
    return bool(ctx.session.scalar(select(exists(query))))


def _graph(ctx: HandlerContext) -> DepGraph:
    return DepGraph.load(ctx.session, default_ref=ctx.settings.modules.default_component_ref)
