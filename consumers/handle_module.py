"""The module consumer's handlers: its own announcements, koji tagging and repos.

Every handler locks the module build row first and re-reads it, so a
duplicate, late or reordered message finds the work done and changes nothing
(koschei's ``update_build_state`` discipline). Component task news comes in
through ``handle_koji`` and ends here too.
"""

from __future__ import annotations

from sqlalchemy import select

from consumers.context import HandlerContext, Outcome
from consumers.events import KojiRepoDone, KojiTagged, ModuleStateChange
from consumers.module_batches import (
    cancel_open_components,
    check_tagged,
    component_finished,
    repo_ready,
)
from consumers.module_steps import run_init, run_wait
from models import ComponentBuild, ModuleBuild
from models.module_build import locked
from models.site_dirty import mark_dirty

STEPS = {"init": run_init, "wait": run_wait}


def state_changed(ctx: HandlerContext, event: ModuleStateChange) -> Outcome:
    module = locked(ctx.session, event.module_build_id)
    if module is None:
        return Outcome.ignored(f"module build #{event.module_build_id} is not ours")
    if module.state != event.state:
        return Outcome.ignored(f"stale: module build #{module.id} is already {module.state}")
    if event.state == "failed":
        canceled = cancel_open_components(
            ctx, module, f"module build failed: {module.state_reason}"
        )
        return Outcome.handled(f"module build #{module.id} failed; {canceled} tasks canceled")
    step = STEPS.get(event.state)
    if step is None:
        return Outcome.ignored(f"module build #{module.id} is {module.state}: nothing to do")
    return step(ctx, module)


def _other_instance(ctx: HandlerContext, instance: str | None) -> bool:
    return instance is not None and instance != ctx.settings.koji.instance


def tagged(ctx: HandlerContext, event: KojiTagged) -> Outcome:
    if _other_instance(ctx, event.instance):
        return Outcome.ignored(f"koji instance {event.instance!r} is not ours")
    module_tag = event.tag.removesuffix("-build")
    module_id = ctx.session.scalar(select(ModuleBuild.id).where(ModuleBuild.koji_tag == module_tag))
    if module_id is None:
        return Outcome.ignored(f"tag {event.tag} belongs to no module build")
    module = locked(ctx.session, module_id)
    component = _component_with_nvr(module, event.nvr)
    if module is None or component is None:
        return Outcome.ignored(f"{event.nvr} is not a component of {module_tag}")
    flag = "tagged_build" if event.tag.endswith("-build") else "tagged_dest"
    if getattr(component, flag):
        return Outcome.ignored(f"stale: {event.nvr} is already known in {event.tag}")
    setattr(component, flag, True)
    mark_dirty(ctx.session, "module_build", module.id)
    check_tagged(ctx, module)
    return Outcome.handled(f"{event.nvr} tagged into {event.tag} (module build #{module.id})")


def _component_with_nvr(module: ModuleBuild | None, nvr: str) -> ComponentBuild | None:
    if module is None:
        return None
    return next((c for c in module.components if c.nvr == nvr and c.finished), None)


def repo_done(ctx: HandlerContext, event: KojiRepoDone) -> Outcome:
    if _other_instance(ctx, event.instance):
        return Outcome.ignored(f"koji instance {event.instance!r} is not ours")
    if not event.tag.endswith("-build"):
        return Outcome.ignored(f"{event.tag} is not a module build tag")
    module_id = ctx.session.scalar(
        select(ModuleBuild.id).where(ModuleBuild.koji_tag == event.tag.removesuffix("-build"))
    )
    module = locked(ctx.session, module_id) if module_id is not None else None
    if module is None:
        return Outcome.ignored(f"tag {event.tag} belongs to no module build")
    before = module.batch
    if not repo_ready(ctx, module, event.repo_id):
        return Outcome.ignored(f"repo {event.repo_id} of {event.tag} changes nothing")
    return Outcome.handled(
        f"module build #{module.id}: repo {event.repo_id} ready after batch {before}; "
        f"now {module.state} batch {module.batch}"
    )


def component_of_task(ctx: HandlerContext, task_id: int) -> ComponentBuild | None:
    """The component building in ``task_id``, with its module row locked first."""
    found = ctx.session.execute(
        select(ComponentBuild.id, ComponentBuild.module_build_id).where(
            ComponentBuild.koji_task_id == task_id
        )
    ).first()
    if found is None:
        return None
    module = locked(ctx.session, found.module_build_id)
    return next((c for c in module.components if c.id == found.id), None) if module else None


def component_progress(
    ctx: HandlerContext,
    component: ComponentBuild,
    to: str,
    *,
    nvr: str | None = None,
    build_id: int | None = None,
    reason: str = "",
) -> Outcome:
    """Koji news about a component's task: advance it, then let its batch move on."""
    if not component.is_behind(to):
        return Outcome.ignored(f"stale: component {component.package} is already {component.state}")
    if nvr:
        component.nvr, component.koji_build_id = nvr, build_id
    component.advance(ctx.session, to, cause=ctx.message_id, reason=reason)
    if to != "building":
        component_finished(ctx, component.module_build, component)
    return Outcome.handled(
        f"component {component.package} of module build #{component.module_build_id} is {to}"
    )


__all__ = ["component_of_task", "component_progress", "repo_done", "state_changed", "tagged"]
