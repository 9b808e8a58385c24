"""The periodic jobs, as plain functions of (session factory, settings, koji)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

import site_generator
from conveyor import publisher
from conveyor.errors import ConveyorError
from conveyor.koji_client import Koji, TaskStatus
from conveyor.settings import Settings
from models import Build, outbox
from models.base import utcnow
from models.build import KOJI_TASK_TO_BUILD

log = logging.getLogger(__name__)

IN_FLIGHT = ("queued", "building")


def flush_outbox(session_factory: sessionmaker[Session], settings: Settings) -> int:
    """Send what consumers committed but did not publish (crash, broker down)."""
    grace = timedelta(seconds=settings.cron.outbox_grace_seconds)
    return outbox.flush(session_factory, publisher.send, older_than=grace)


def reconcile(session_factory: sessionmaker[Session], koji: Koji) -> int:
    """Ask koji about every in-flight build in ONE multicall; apply what messages missed."""
    with session_factory() as session:
        task_ids = list(
            session.scalars(
                select(Build.koji_task_id).where(
                    Build.state.in_(IN_FLIGHT), Build.koji_task_id.is_not(None)
                )
            )
        )
    statuses = koji.task_statuses([t for t in task_ids if t is not None])
    changed = 0
    for status in statuses.values():
        with session_factory.begin() as session:
            changed += _apply(session, status)
    if changed:
        log.info("reconciler: %d builds caught up with koji", changed)
    return changed


def _apply(session: Session, status: TaskStatus) -> int:
    to = KOJI_TASK_TO_BUILD.get(status.state)
    query = select(Build).where(Build.koji_task_id == status.task_id).with_for_update()
    build = session.scalars(query).first()
    if to is None or build is None or not build.is_behind(to):
        return 0
    if to == "complete":
        if not status.nvr:
            return 0  # koji has not recorded the build yet; next poll
        build.nvr, build.koji_build_id = status.nvr, status.build_id
    reason = f"koji task {status.task_id} {status.state.lower()} (found by the reconciler)"
    return int(build.advance(session, to, cause="reconciler", reason=reason))


def fail_stuck(session_factory: sessionmaker[Session], settings: Settings, koji: Koji) -> int:
    """Builds with no news for too long fail visibly instead of waiting forever."""
    hours = settings.cron.stuck_build_hours
    limit = utcnow() - timedelta(hours=hours)
    failed = 0
    with session_factory.begin() as session:
        query = (
            select(Build)
            .where(Build.state.in_(IN_FLIGHT), Build.updated_at < limit)
            .with_for_update(skip_locked=True)
        )
        for build in session.scalars(query):
            if build.koji_task_id is not None:
                try:
                    koji.cancel_task(build.koji_task_id)
                except ConveyorError as exc:
                    log.warning("could not cancel koji task %s: %s", build.koji_task_id, exc)
            reason = f"no progress for {hours} hours"
            failed += build.advance(session, "failed", cause="cron", reason=reason)
    return failed


class SiteRender:
    """The site job: incremental every run, full when ``cron.site_full_render_minutes`` passed.

    One job, not two, so a full render and an incremental one never queue on the
    site lock; the first run renders in full (new templates after an upgrade show
    at once). An incremental run with nothing dirty costs one query.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session_factory = session_factory
        self.settings = settings
        self.clock = clock
        self.last_full: float | None = None

    def full_due(self) -> bool:
        every = self.settings.cron.site_full_render_minutes * 60
        return self.last_full is None or self.clock() - self.last_full >= every

    def __call__(self) -> site_generator.RenderStats:
        started = self.clock()
        stats = site_generator.render_site(
            self.session_factory, self.settings, full=self.full_due()
        )
        if stats.mode == site_generator.FULL:
            self.last_full = started  # an incremental run that had no site rendered in full too
        if stats.files:
            log.info(
                "site: %s render wrote %d pages (%d dirty) in %.2fs",
                stats.mode,
                stats.pages,
                stats.dirty,
                stats.seconds,
            )
        return stats


def render_site(session_factory: sessionmaker[Session], settings: Settings) -> None:
    """One incremental render (a full one when there is no site yet)."""
    site_generator.render_site(session_factory, settings, full=False)
