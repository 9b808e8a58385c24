"""koji task and build state changes, applied to the builds Conveyor asked for.

Messages may arrive twice, late or out of order: each handler locks the
build row, re-reads it, and does nothing when the news is not newer than
what is recorded (koschei's ``update_build_state`` discipline).
"""

from __future__ import annotations

from sqlalchemy import select

from consumers.context import HandlerContext, Outcome
from consumers.events import KojiBuildStateChange, KojiTaskStateChange
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
        return Outcome.ignored(f"koji task {event.task_id} is not one of ours")
    if not build.is_behind(to):
        return Outcome.ignored(f"stale: build #{build.id} is already {build.state}")
    reason = ""
    if to == "complete":
        status = ctx.koji.task_statuses([event.task_id]).get(event.task_id)
        if status is None or not status.nvr:
            # The build record is what makes a build complete; koji will tell us soon.
            raise Retryable(f"koji task {event.task_id} closed but koji shows no build yet")
        build.nvr, build.koji_build_id = status.nvr, status.build_id
    elif to == "failed":
        reason = ctx.koji.task_failure(event.task_id)
    return _advance(ctx, build, to, reason)


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
        return Outcome.ignored(f"{event.nvr} (task {event.task_id}) is not one of ours")
    build.nvr, build.koji_build_id = event.nvr, event.build_id
    reason = f"koji build {event.nvr} failed" if to == "failed" else ""
    return _advance(ctx, build, to, reason)
