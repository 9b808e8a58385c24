"""Batches: submit, reuse, tag, regenerate the repo, go on; fail and cancel.

Batch N+1 is never submitted before every component of batch N is tagged
into the module's build tag and a repo made after that tagging is ready
(``buildsys.repo.done``). Callers hold the module build row lock.
"""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from sqlalchemy import func, select

from consumers import chain_runner
from consumers.compose_requests import request_module_compose
from consumers.context import HandlerContext
from consumers.module_gate import gate_module
from conveyor.errors import KojiError
from models import ComponentBuild, ModuleBuild
from models.base import utcnow
from models.component_build import UNSUCCESSFUL
from models.site_dirty import mark_dirty

log = logging.getLogger(__name__)
# koji and Conveyor clocks differ a little; a repo older than the request by more is stale
CLOCK_SLACK = timedelta(seconds=5)


def start_next_batch(ctx: HandlerContext, module: ModuleBuild) -> None:
    """Move to the first batch not yet built and tagged; done when there is none."""
    for batch in sorted({c.batch for c in module.components}):
        components = module.batch_components(batch)
        if not all(c.finished and c.tagged_build for c in components):
            break
    else:
        finish(ctx, module)
        return
    module.batch, module.repo_task_id, module.repo_requested_at = batch, None, None
    mark_dirty(ctx.session, "module_build", module.id)
    _reuse(ctx, module, components)
    fill_slots(ctx)
    if all(c.finished for c in components):
        request_tagging(ctx, module)


def _reuse(ctx: HandlerContext, module: ModuleBuild, components: list[ComponentBuild]) -> None:
    """MBS's default strategy (changed-and-after): reuse until the first changed batch."""
    earlier = [c for c in module.components if c.batch < module.batch]
    if any(c.state != "reused" for c in earlier):
        return
    previous = _previous_build(ctx, module)
    if previous is None:
        return
    by_package = {c.package: c for c in previous.components}
    for component in components:
        old = by_package.get(component.package)
        if component.state != "waiting" or old is None or not old.finished:
            continue
        if old.commit != component.commit or old.batch != component.batch:
            continue
        component.nvr, component.koji_build_id = old.nvr, old.koji_build_id
        component.reused_from_id = old.reused_from_id or old.id
        component.transition(
            ctx.session, "reused", cause=ctx.message_id,
            reason=f"unchanged since module build #{previous.id} ({old.nvr})",
        )  # fmt: skip


def _previous_build(ctx: HandlerContext, module: ModuleBuild) -> ModuleBuild | None:
    """The last successful build of this stream with the same buildroot inputs."""
    query = (
        select(ModuleBuild)
        .where(ModuleBuild.name == module.name, ModuleBuild.stream == module.stream)
        .where(ModuleBuild.state.in_(("done", "ready")), ModuleBuild.id != module.id)
        .order_by(ModuleBuild.version.desc(), ModuleBuild.id.desc())
    )
    for candidate in ctx.session.scalars(query).all():
        if candidate.buildrequires == module.buildrequires:
            return candidate
    return None


def fill_slots(ctx: HandlerContext) -> int:
    """Submit waiting components of current batches while the throttle allows."""
    limit = ctx.settings.modules.max_concurrent_builds
    building = ctx.session.scalar(
        select(func.count()).select_from(ComponentBuild).where(ComponentBuild.state == "building")
    )
    free = limit - int(building or 0)
    if free <= 0:
        return 0
    query = (
        select(ComponentBuild)
        .join(ModuleBuild, ComponentBuild.module_build_id == ModuleBuild.id)
        .where(ModuleBuild.state == "build", ComponentBuild.batch == ModuleBuild.batch)
        .where(ComponentBuild.state == "waiting")
        .order_by(ModuleBuild.id, ComponentBuild.id)
        .limit(free)
        .with_for_update(of=ComponentBuild, skip_locked=True)
    )
    submitted = 0
    for component in ctx.session.scalars(query).all():
        submitted += _submit(ctx, component)
    return submitted


def _submit(ctx: HandlerContext, component: ComponentBuild) -> int:
    """Adopt koji's task for this source and target, or submit one (see handle_push._submit)."""
    module = component.module_build
    try:
        task_id = ctx.koji.find_build_task(component.source, module.koji_tag or "")
        if task_id is None:
            task_id = ctx.koji.submit_build(
                component.source, module.koji_tag or "", {"skip_tag": True}
            )
    except KojiError as exc:
        component.transition(ctx.session, "failed", cause=ctx.message_id, reason=str(exc))
        component_finished(ctx, module, component)
        return 0
    component.koji_task_id = task_id
    component.transition(ctx.session, "building", cause=ctx.message_id, reason=f"task {task_id}")
    return 1


def component_finished(ctx: HandlerContext, module: ModuleBuild, component: ComponentBuild) -> None:
    """A component reached a terminal state: fail the module, or tag a finished batch."""
    if module.state != "build":
        return
    if component.state in UNSUCCESSFUL:
        fail_module(
            ctx, module, f"component {component.package} {component.state}: "
            f"{component.state_reason or 'no reason given'}",
        )  # fmt: skip
        return
    fill_slots(ctx)
    if component.batch == module.batch and all(c.finished for c in module.batch_components()):
        request_tagging(ctx, module)


def request_tagging(ctx: HandlerContext, module: ModuleBuild) -> None:
    """Tag the batch (and anything earlier not confirmed) into the build tag and the module
    tag; koji confirms with buildsys.tag."""
    components = [c for c in module.components if c.finished and c.batch <= module.batch]
    for tag, flag in ((module.build_tag, "tagged_build"), (module.koji_tag, "tagged_dest")):
        pending = [c for c in components if not getattr(c, flag)]
        if not pending or tag is None:
            continue
        tasks = ctx.koji.tag_builds(tag, [c.nvr or "" for c in pending])
        for component in pending:
            if component.nvr in tasks and tasks[component.nvr] is None:  # already there
                setattr(component, flag, True)
    check_tagged(ctx, module)


def check_tagged(ctx: HandlerContext, module: ModuleBuild) -> None:
    """All of the batch tagged: regenerate the build tag's repo, or finish after the last."""
    if module.state != "build":
        return
    components = module.batch_components()
    if not all(c.finished and c.tagged_build for c in components):
        return
    if module.batch >= module.last_batch:
        if all(c.tagged for c in module.components):
            finish(ctx, module)
        return
    if module.repo_task_id is None:
        module.repo_task_id = ctx.koji.new_repo(module.build_tag or "")
        module.repo_requested_at = utcnow()


def repo_ready(ctx: HandlerContext, module: ModuleBuild, repo_id: int) -> bool:
    """A repo of the build tag is ready; start the next batch if it is the one we asked for."""
    if module.state != "build" or module.repo_task_id is None:
        return False
    if module.last_repo_id is not None and repo_id <= module.last_repo_id:
        return False
    repo = ctx.koji.latest_repo(module.build_tag or "")
    requested = module.repo_requested_at
    if repo is None or repo.id < repo_id or requested is None:
        return False
    if repo.create_ts < (requested - CLOCK_SLACK).replace(tzinfo=UTC).timestamp():
        return False  # made before our tags landed (kojira's own regeneration)
    module.last_repo_id = repo.id
    start_next_batch(ctx, module)
    return True


def finish(ctx: HandlerContext, module: ModuleBuild) -> None:
    module.repo_task_id = None
    module.transition(ctx.session, "done", cause=ctx.message_id, reason="all components built")
    gate_module(ctx, module)  # the only way on to ready: CI gating (passes at once if none)
    request_module_compose(ctx, module)  # the module + runtime deps, for QA to install


def fail_module(ctx: HandlerContext, module: ModuleBuild, reason: str) -> None:
    module.transition(ctx.session, "failed", cause=ctx.message_id, reason=reason)
    cancel_open_components(ctx, module, f"module build failed: {reason}")
    chain_runner.module_failed(ctx, module, reason)  # a rebuild chain stops at this tier


def cancel_open_components(ctx: HandlerContext, module: ModuleBuild, reason: str) -> int:
    """Cancel the koji tasks of components still building (koji errors are logged)."""
    canceled = 0
    for component in module.components:
        if component.state != "building":
            continue
        try:
            ctx.koji.cancel_task(component.koji_task_id or 0)
        except KojiError as exc:
            log.warning("module build #%s: cannot cancel task %s: %s", module.id,
                        component.koji_task_id, exc)  # fmt: skip
        component.transition(ctx.session, "canceled", cause=ctx.message_id, reason=reason)
        canceled += 1
    return canceled
