"""Start rebuild chains and their tiers: record the plan, request the module builds.

Module version rule: a rebuilt stream's modulemd usually did not change, and
the same name:stream:version would be refused as a duplicate, so every build
of a chain gets the chain's version, the trigger time as YYYYMMDDHHMMSS (as
MBS uses the commit time), raised above the newest existing version of that
stream when needed, so the rebuild always sorts as the latest.
"""

from __future__ import annotations

from sqlalchemy import func, select

from consumers.chain_supersede import supersede
from consumers.compose_requests import request_chain_compose
from consumers.context import HandlerContext
from conveyor import scm
from conveyor.chain_plan import ChainPlan
from models import ModuleBuild
from models.base import utcnow
from models.chain_item import ChainItem
from models.chain_transition import ChainTransition
from models.module_build import locked as locked_module
from models.module_build import submit
from models.outbox import enqueue
from models.rebuild_chain import TOPIC, RebuildChain

FINISHED = frozenset({"passed", "skipped"})


def start_chain(
    ctx: HandlerContext, plan: ChainPlan, *, kind: str, requester: str, **trigger: str | None
) -> RebuildChain:
    """Record the plan as a chain, supersede older chains of the same component branch,
    and start tier 1 (a chain with nothing to rebuild completes at once)."""
    chain = record_chain(ctx, plan, kind=kind, requester=requester, **trigger)
    if chain.trigger_name and chain.trigger_commit:
        supersede(ctx, chain)
    if not chain.items:
        chain.transition(ctx.session, "complete", cause=ctx.message_id,
                         reason="no module stream to rebuild")  # fmt: skip
        return chain
    size = f"{len(chain.items)} module streams in {chain.last_tier} tiers"
    chain.transition(ctx.session, "running", cause=ctx.message_id, reason=size)
    advance(ctx, chain)
    return chain


def advance(ctx: HandlerContext, chain: RebuildChain) -> None:
    """Start the next tier once every item of this one passed; the last one completes."""
    while chain.state == "running":
        items = chain.tier_items()
        if chain.current_tier and not all(i.state in FINISHED for i in items):
            return
        if chain.current_tier >= chain.last_tier:
            complete(ctx, chain)
            return
        chain.current_tier += 1
        start_tier(ctx, chain)


def complete(ctx: HandlerContext, chain: RebuildChain) -> None:
    """The whole tree is rebuilt and passed: every held module moves to ready together."""
    chain.transition(ctx.session, "complete", cause=ctx.message_id,
                     reason=f"all {len(chain.items)} module builds passed")  # fmt: skip
    rebuilt = []
    for item in chain.items:
        module = locked_module(ctx.session, item.module_build_id) if item.module_build_id else None
        if module is not None and module.state == "done" and item.state == "passed":
            module.transition(ctx.session, "ready", cause=ctx.message_id,
                              reason=f"rebuild chain #{chain.id} complete")  # fmt: skip
            rebuilt.append(module)
    request_chain_compose(ctx, rebuilt, chain.id)  # the whole rebuilt tree, as one update


def record_chain(ctx: HandlerContext, plan: ChainPlan, *, kind: str, requester: str,
                 **trigger: str | None) -> RebuildChain:  # fmt: skip
    """A planned chain with one waiting item per planned stream, announced."""
    now = utcnow()
    chain = RebuildChain(trigger_kind=kind, requester=requester, created_at=now,
                         updated_at=now, module_version=scm.module_version(now),
                         cycles=[list(c) for c in plan.cycles], **trigger)  # fmt: skip
    ctx.session.add(chain)
    ctx.session.flush()
    for number, tier in enumerate(plan.tiers, start=1):
        for ns in tier:
            name, _, stream = ns.partition(":")
            item = ChainItem(chain_id=chain.id, name=name, stream=stream, tier=number,
                             owner=_last_owner(ctx, name, stream))  # fmt: skip
            ctx.session.add(item)
    ctx.session.flush()
    ctx.session.refresh(chain)
    ctx.session.add(ChainTransition(chain_id=chain.id, from_state=None, to_state="planned",
                                    cause=ctx.message_id, reason=plan.to_text()))  # fmt: skip
    enqueue(ctx.session, TOPIC, chain.announcement(None))
    return chain


def start_tier(ctx: HandlerContext, chain: RebuildChain) -> None:
    """Request a module build for every waiting item of the chain's current tier."""
    for item in chain.tier_items():
        if item.state == "waiting":
            _request(ctx, chain, item)
            if item.state == "failed" and chain.state == "running":
                chain.failed_tier = item.tier
                chain.transition(ctx.session, "failed", cause=ctx.message_id,
                                 reason=f"tier {item.tier}: {item.reason}")  # fmt: skip


def _request(ctx: HandlerContext, chain: RebuildChain, item: ChainItem) -> None:
    """Build the stream's modulemd as its branch holds it now; init resolves the components
    by their (branch-pinned) refs, so the new component commit is built and unchanged
    components are reused."""
    settings = ctx.settings
    base = settings.distgit.base_url.rstrip("/")
    repo_url = f"{base}/{settings.modules.namespace}/{item.name}.git"
    try:
        with scm.checkout(repo_url, settings.modules.git_timeout) as repo:
            commit = repo.commit(item.stream)
            text = repo.show(commit, f"{item.name}.yaml")
    except scm.RefNotFound as exc:
        text, commit, problem = None, "", str(exc)
    else:
        problem = f"{item.name}.yaml does not exist on branch {item.stream}"
    if text is None:
        item.transition(ctx.session, "failed", cause=ctx.message_id, reason=problem)
        return
    submission = submit(
        ctx.session, name=item.name, stream=item.stream, version=_version(ctx, chain, item),
        scmurl=f"{repo_url}?#{commit}", commit=commit, owner=chain.requester, modulemd=text,
        cause=ctx.message_id,
    )  # fmt: skip
    build = submission.module_build
    if submission.outcome == "exists":
        item.transition(ctx.session, "failed", cause=ctx.message_id,
                        reason=f"module build #{build.id} of {build.nsv} exists")  # fmt: skip
        return
    item.module_build_id = build.id
    item.transition(ctx.session, "building", cause=ctx.message_id,
                    reason=f"module build #{build.id} ({build.nsv}) requested")  # fmt: skip


def _version(ctx: HandlerContext, chain: RebuildChain, item: ChainItem) -> int:
    newest = ctx.session.scalar(
        select(func.max(ModuleBuild.version)).where(
            ModuleBuild.name == item.name, ModuleBuild.stream == item.stream
        )
    )
    return max(chain.module_version, (newest or 0) + 1)


def _last_owner(ctx: HandlerContext, name: str, stream: str) -> str:
    """Who last built the stream by hand (a chain's builds belong to whoever pushed)."""
    by_chains = select(ChainItem.module_build_id).where(ChainItem.module_build_id.is_not(None))
    query = (
        select(ModuleBuild.owner)
        .where(ModuleBuild.name == name, ModuleBuild.stream == stream)
        .where(ModuleBuild.id.not_in(by_chains))
        .order_by(ModuleBuild.id.desc())
        .limit(1)
    )
    return ctx.session.scalar(query) or ""
