"""The module reconciler: what lost koji messages and lost announcements left undone.

Per poll, regardless of how many module builds are in flight: one multicall
for component tasks, one for the tags of components not known to be tagged,
one for the repos of build tags awaiting regeneration (each only when needed).
Each correction runs in its own transaction through the same functions the
consumers use.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from consumers.context import HandlerContext
from consumers.handle_module import component_of_task, component_progress
from consumers.module_batches import check_tagged, fill_slots, repo_ready, request_tagging
from consumers.module_steps import run_init, run_wait
from conveyor.koji_client import Koji
from conveyor.settings import Settings
from models import ComponentBuild, ModuleBuild
from models.base import utcnow
from models.build import KOJI_TASK_TO_BUILD
from models.module_build import locked

log = logging.getLogger(__name__)
CAUSE = "reconciler"


def reconcile_modules(
    session_factory: sessionmaker[Session], settings: Settings, koji: Koji
) -> int:
    changed = _component_tasks(session_factory, settings, koji)
    changed += _tagging(session_factory, settings, koji)
    changed += _repos(session_factory, settings, koji)
    changed += _stuck_steps(session_factory, settings, koji)
    with session_factory.begin() as session:
        changed += fill_slots(_context(session, settings, koji))
    if changed:
        log.info("module reconciler: %d corrections", changed)
    return changed


def _context(session: Session, settings: Settings, koji: Koji) -> HandlerContext:
    return HandlerContext(session, settings, koji, CAUSE, "cron")


def _in_transaction(
    session_factory: sessionmaker[Session],
    settings: Settings,
    koji: Koji,
    work: Callable[[HandlerContext], bool],
) -> int:
    with session_factory.begin() as session:
        return int(work(_context(session, settings, koji)))


def _component_tasks(factory: sessionmaker[Session], settings: Settings, koji: Koji) -> int:
    with factory() as session:
        task_ids = session.scalars(
            select(ComponentBuild.koji_task_id).where(ComponentBuild.state == "building")
        ).all()
    statuses = koji.task_statuses([t for t in task_ids if t is not None])
    changed = 0
    for status in statuses.values():
        to = KOJI_TASK_TO_BUILD.get(status.state)
        if to is None or to == "building" or (to == "complete" and not status.nvr):
            continue

        def apply(ctx: HandlerContext, status=status, to=to) -> bool:
            component = component_of_task(ctx, status.task_id)
            if component is None or not component.is_behind(to):
                return False
            reason = f"koji task {status.task_id} {status.state.lower()} (found by the reconciler)"
            if to == "failed":
                reason = ctx.koji.task_failure(status.task_id)
            component_progress(
                ctx, component, to, nvr=status.nvr, build_id=status.build_id, reason=reason
            )
            return True

        changed += _in_transaction(factory, settings, koji, apply)
    return changed


def _tagging(factory: sessionmaker[Session], settings: Settings, koji: Koji) -> int:
    """Components built but not known to be tagged (any batch): ask koji what the tags hold."""
    with factory() as session:
        query = (
            select(ModuleBuild)
            .where(ModuleBuild.state == "build")
            .options(selectinload(ModuleBuild.components))  # one query, not one per module
        )
        modules = session.scalars(query).all()
        waiting = {
            m.id: (m.koji_tag, m.build_tag)
            for m in modules
            if any(c.finished and not c.tagged for c in m.components)
        }
    tags = [t for pair in waiting.values() for t in pair if t]
    if not tags:
        return 0
    listed = koji.tagged_nvrs(tags)
    changed = 0
    for module_id, (tag, build_tag) in waiting.items():

        def apply(ctx: HandlerContext, module_id=module_id, tag=tag, build_tag=build_tag) -> bool:
            module = locked(ctx.session, module_id)
            if module is None or module.state != "build":
                return False
            found = False
            for component in module.components:
                if not component.finished:
                    continue
                if not component.tagged_build and component.nvr in listed.get(build_tag, ()):
                    component.tagged_build = found = True
                if not component.tagged_dest and component.nvr in listed.get(tag, ()):
                    component.tagged_dest = found = True
            if all(c.finished for c in module.batch_components()):
                # a tagBuild task may have failed or vanished: ask again (koji's running
                # tasks are adopted and present builds skipped, so this repeats nothing)
                request_tagging(ctx, module)
            else:
                check_tagged(ctx, module)
            return found

        changed += _in_transaction(factory, settings, koji, apply)
    return changed


def _repos(factory: sessionmaker[Session], settings: Settings, koji: Koji) -> int:
    with factory() as session:
        waiting = session.execute(
            select(ModuleBuild.id, ModuleBuild.koji_tag).where(
                ModuleBuild.state == "build", ModuleBuild.repo_task_id.is_not(None)
            )
        ).all()
    repos = koji.latest_repos([f"{tag}-build" for _, tag in waiting])
    changed = 0
    for module_id, tag in waiting:
        repo = repos.get(f"{tag}-build")
        if repo is None:
            continue

        def apply(ctx: HandlerContext, module_id=module_id, repo_id=repo.id) -> bool:
            module = locked(ctx.session, module_id)
            return module is not None and repo_ready(ctx, module, repo_id)

        changed += _in_transaction(factory, settings, koji, apply)
    return changed


def _stuck_steps(factory: sessionmaker[Session], settings: Settings, koji: Koji) -> int:
    """init or wait untouched for long: the announcement was lost; do the step here."""
    limit = utcnow() - timedelta(minutes=settings.modules.stuck_step_minutes)
    with factory() as session:
        stuck = session.execute(
            select(ModuleBuild.id, ModuleBuild.state).where(
                ModuleBuild.state.in_(("init", "wait")), ModuleBuild.updated_at < limit
            )
        ).all()
    steps = {"init": run_init, "wait": run_wait}
    changed = 0
    for module_id, state in stuck:

        def apply(ctx: HandlerContext, module_id=module_id, state=state) -> bool:
            module = locked(ctx.session, module_id)
            if module is None or module.state != state:
                return False
            steps[state](ctx, module)
            return True

        changed += _in_transaction(factory, settings, koji, apply)
    return changed
