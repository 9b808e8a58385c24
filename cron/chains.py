"""The chain reconciler: chains that did not move because a message was lost.

A tier whose module builds are all done and passed, but whose chain did not
start the next tier (or complete), advances here; a chain item whose module
build failed without telling the chain (canceled through the API or the CLI)
fails its chain. Each correction runs in its own transaction through the
functions the consumers use, with the same locks (module build, then chain).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from consumers.chain_runner import lock_chain, module_failed
from consumers.chain_start import advance
from consumers.context import HandlerContext
from conveyor.koji_client import Koji
from conveyor.settings import Settings
from models import ModuleBuild
from models.chain_item import ChainItem
from models.module_build import locked
from models.rebuild_chain import RebuildChain

log = logging.getLogger(__name__)
CAUSE = "chain-reconciler"


def reconcile_chains(session_factory: sessionmaker[Session], settings: Settings, koji: Koji) -> int:
    """Corrections made: items failed after their build, chains advanced."""
    changed = _failed_builds(session_factory, settings, koji)
    with session_factory() as session:
        running = session.scalars(
            select(RebuildChain.id).where(RebuildChain.state == "running").order_by(RebuildChain.id)
        ).all()
    for chain_id in running:
        with session_factory.begin() as session:
            chain = lock_chain(session, chain_id)
            if chain is None or chain.state != "running":
                continue
            before = (chain.state, chain.current_tier)
            advance(HandlerContext(session, settings, koji, CAUSE, "cron"), chain)
            changed += (chain.state, chain.current_tier) != before
    if changed:
        log.info("chain reconciler: %d corrections", changed)
    return changed


def _failed_builds(factory: sessionmaker[Session], settings: Settings, koji: Koji) -> int:
    with factory() as session:
        module_ids = session.scalars(
            select(ModuleBuild.id)
            .join(ChainItem, ChainItem.module_build_id == ModuleBuild.id)
            .join(RebuildChain, RebuildChain.id == ChainItem.chain_id)
            .where(ModuleBuild.state == "failed", RebuildChain.state == "running")
            .where(ChainItem.state.in_(("building", "done")))
            .distinct()
        ).all()
    for module_id in module_ids:
        with factory.begin() as session:
            module = locked(session, module_id)
            if module is not None and module.state == "failed":
                ctx = HandlerContext(session, settings, koji, CAUSE, "cron")
                module_failed(ctx, module, module.state_reason or "failed")
    return len(module_ids)
