"""koji task and build state changes, applied to the builds Conveyor asked for.

Messages may arrive twice, late or out of order: each handler locks the
build row, re-reads it, and does nothing when the news is not newer than
what is recorded (koschei's ``update_build_state`` discipline).
"""

from __future__ import annotations

from sqlalchemy import select

from consumers.context import HandlerContext, Outcome
from consumers.events import KojiBuildStateChange, KojiTaskStateChange
from consumers.handle_module import component_of_task, component_progress
from conveyor.errors import Retryable
from models import Build
from models.build import KOJI_TASK_TO_BUILD

# koji.BUILD_STATES: 0 BUILDING, 1 COMPLETE, 2 DELETED, 3 FAILED, 4 CANCELED.
KOJI_BUILD_TO_BUILD = {0: "building", 1: "complete", 3: "failed", 4: "canceled"}


def _locked_build(ctx: HandlerContext, task_id: int) -> Build | None:
    query = select(Build).where(Build.koji_task_id == task_id).with_for_update()
    return ctx.session.scalars(query).first()


def _other_instance(ctx: HandlerContext, instance: str | None) -> bool:
    return instance is not None and instance != ctx.settings.koji.instance


def _advance(ctx: HandlerContext, build: Build, to: str, reason: str = "") -> Outcome:
    if build.advance(ctx.session, to, cause=ctx.message_id, reason=reason):
        return Outcome.handled(f"build #{build.id} is now {to}")
    return Outcome.ignored(f"stale: build #{build.id} is already {build.state}")


def task_changed(ctx: HandlerContext, event: KojiTaskStateChange) -> Outcome:
    if _other_instance(ctx, event.instance):
        return Outcome.ignored(f"koji instance {event.instance!r} is not ours")
    to = KOJI_TASK_TO_BUILD.get(event.new)
    if to is None:
        return Outcome.ignored(f"task state {event.new} changes nothing")
    build = _locked_build(ctx, event.task_id)
    if build is None:
        return _component_task_changed(ctx, event.task_id, to)
    if not build.is_behind(to):
        return Outcome.ignored(f"stale: build #{build.id} is already {build.state}")
    reason = ""
    if to == "complete":
        build.nvr, build.koji_build_id = _built_nvr(ctx, event.task_id)
    elif to == "failed":
        reason = ctx.koji.task_failure(event.task_id)
    return _advance(ctx, build, to, reason)


def _component_task_changed(ctx: HandlerContext, task_id: int, to: str) -> Outcome:
    component = component_of_task(ctx, task_id)
    if component is None:
        return Outcome.ignored(f"koji task {task_id} is not one of ours")
    if not component.is_behind(to):
        return Outcome.ignored(f"stale: component {component.package} is already {component.state}")
    nvr, build_id, reason = None, None, ""
    if to == "complete":
        nvr, build_id = _built_nvr(ctx, task_id)
    elif to == "failed":
        reason = ctx.koji.task_failure(task_id)
    return component_progress(ctx, component, to, nvr=nvr, build_id=build_id, reason=reason)


def _built_nvr(ctx: HandlerContext, task_id: int) -> tuple[str, int | None]:
    status = ctx.koji.task_statuses([task_id]).get(task_id)
    if status is None or not status.nvr:
        # The build record is what makes a build complete; koji will tell us soon.
        raise Retryable(f"koji task {task_id} closed but koji shows no build yet")
    return status.nvr, status.build_id


def build_changed(ctx: HandlerContext, event: KojiBuildStateChange) -> Outcome:
    if _other_instance(ctx, event.instance):
        return Outcome.ignored(f"koji instance {event.instance!r} is not ours")
    if event.task_id is None:
        return Outcome.ignored(f"{event.nvr} was imported, not built by a task")
    to = KOJI_BUILD_TO_BUILD.get(event.new)
    if to is None:
        return Outcome.ignored(f"{event.nvr} was deleted in koji")
    build = _locked_build(ctx, event.task_id)
    if build is None:
        component = component_of_task(ctx, event.task_id)
        if component is None:
            return Outcome.ignored(f"{event.nvr} (task {event.task_id}) is not one of ours")
        reason = f"koji build {event.nvr} failed" if to == "failed" else ""
        return component_progress(
            ctx, component, to, nvr=event.nvr, build_id=event.build_id, reason=reason
        )
    build.nvr, build.koji_build_id = event.nvr, event.build_id
    reason = f"koji build {event.nvr} failed" if to == "failed" else ""
    return _advance(ctx, build, to, reason)
