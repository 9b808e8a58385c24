"""Phase 1 for the operators page, the overview's health part and the global feed.

Six queries, whatever the size of the tables, kept out of ``gather`` and
``gather_site`` so their counts stay as they are; ``read`` runs them through
the render's ``gather_site.Reader`` (the same snapshot on PostgreSQL). What
they read: the newest rejected messages (bodies cut in the database, never
loaded whole), per-consumer inbox and rejection aggregates (one UNION), one statement of
scalar subqueries (outbox backlog, the reconciler's last corrections), the
newest failed builds, and the builds active in the chart's days.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from models import (
    Build,
    BuildTransition,
    ComponentBuildTransition,
    CronRun,
    InboxEntry,
    ModuleBuildTransition,
    OutboxMessage,
    Package,
    RejectedMessage,
)
from site_generator.charts import DAYS
from site_generator.feeds import FEED_ENTRIES
from site_generator.views import IN_FLIGHT, utc

RECENT_REJECTED = 100  # rows on the operators page; the total is counted separately
BODY_CHARS = 500  # characters of a rejected body read and shown
RECONCILER_CAUSE = "reconciler"  # cron/jobs.py and cron/reconcile_modules.py write this cause


@dataclass(frozen=True)
class RejectedBodyRow:
    id: int
    message_id: str
    topic: str
    consumer: str
    kind: str
    reason: str
    rejected_at: datetime
    body: str  # at most BODY_CHARS characters
    body_length: int  # of the whole stored body


@dataclass(frozen=True)
class CronRunRow:
    job: str
    finished_at: datetime
    outcome: str
    seconds: float
    error: str | None
    last_ok_at: datetime | None
    runs: int
    failures: int


@dataclass(frozen=True)
class InboxAggregateRow:
    consumer: str
    processed: int
    last_processed_at: datetime


@dataclass(frozen=True)
class RejectedAggregateRow:
    consumer: str
    rejected: int
    last_rejected_at: datetime


@dataclass(frozen=True)
class FailedBuildRow:
    """A failed build with its package's names (the global feed needs no other column)."""

    id: int
    namespace: str
    name: str
    branch: str
    commit: str
    target: str
    nvr: str | None
    state: str
    state_reason: str
    pusher: str | None
    koji_task_id: int | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class ActiveBuildRow:
    """A build the chart's days may count: finished in them, or queued in any of them."""

    state: str
    created_at: datetime
    completed_at: datetime | None
    left_queue_at: datetime | None  # its first state change out of "queued"


@dataclass(frozen=True)
class OpsGathered:
    rejected: tuple[RejectedBodyRow, ...]  # newest first, at most RECENT_REJECTED
    rejected_total: int
    inbox: tuple[InboxAggregateRow, ...]  # by consumer
    rejections: tuple[RejectedAggregateRow, ...]  # by consumer
    outbox_unsent: int
    outbox_oldest_unsent: datetime | None
    outbox_failing: int  # unsent rows a flush already tried and failed to send
    outbox_last_error: str | None  # of the newest failing row
    # Newest state change the build and module reconcilers made, per trace table: the
    # only trace of their runs the database holds (a run that changes nothing leaves none).
    reconciler_builds_at: datetime | None
    reconciler_modules_at: datetime | None
    reconciler_components_at: datetime | None
    cron_runs: tuple[CronRunRow, ...]  # one per cron job that ever recorded a run, by name
    failed_builds: tuple[FailedBuildRow, ...]  # newest first, at most FEED_ENTRIES
    active_builds: tuple[ActiveBuildRow, ...]  # for the chart of the last charts.DAYS days


def _scalars(session: Session) -> tuple:
    unsent = OutboxMessage.sent_at.is_(None)
    failing = unsent & (OutboxMessage.attempts > 0)

    def newest(model: type) -> object:
        at = model.at  # type: ignore[attr-defined]
        return select(func.max(at)).where(model.cause == RECONCILER_CAUSE).scalar_subquery()  # type: ignore[attr-defined]

    return session.execute(
        select(
            select(func.count()).select_from(RejectedMessage).scalar_subquery(),
            select(func.count()).select_from(OutboxMessage).where(unsent).scalar_subquery(),
            select(func.min(OutboxMessage.created_at)).where(unsent).scalar_subquery(),
            select(func.count()).select_from(OutboxMessage).where(failing).scalar_subquery(),
            select(OutboxMessage.last_error)
            .where(failing)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
            .scalar_subquery(),
            newest(BuildTransition),
            newest(ModuleBuildTransition),
            newest(ComponentBuildTransition),
        )
    ).one()


def _per_consumer(
    session: Session,
) -> tuple[tuple[InboxAggregateRow, ...], tuple[RejectedAggregateRow, ...]]:
    """Messages processed and rejected per consumer: two aggregates, one statement."""
    processed = select(
        InboxEntry.consumer, literal("inbox"), func.count(), func.max(InboxEntry.processed_at)
    ).group_by(InboxEntry.consumer)
    rejected = select(
        RejectedMessage.consumer,
        literal("rejected"),
        func.count(),
        func.max(RejectedMessage.rejected_at),
    ).group_by(RejectedMessage.consumer)
    inbox, rejections = [], []
    for consumer, source, count, last in session.execute(union_all(processed, rejected)):
        if source == "inbox":
            inbox.append(InboxAggregateRow(consumer, count, last))
        else:
            rejections.append(RejectedAggregateRow(consumer, count, last))
    return tuple(inbox), tuple(rejections)


def _failed_builds(session: Session) -> tuple[FailedBuildRow, ...]:
    names = {"namespace": Package.namespace, "name": Package.name}
    columns = [names.get(f.name) or getattr(Build, f.name) for f in fields(FailedBuildRow)]
    query = (
        select(*columns)
        .join(Package, Package.id == Build.package_id)
        .where(Build.state == "failed")
        .order_by(Build.updated_at.desc(), Build.id.desc())
        .limit(FEED_ENTRIES)
    )
    return tuple(FailedBuildRow(*row) for row in session.execute(query))


def _active_builds(session: Session, since: datetime) -> tuple[ActiveBuildRow, ...]:
    """Builds in flight or changed since ``since``: every build a day of the chart can count.

    A build that left the queue before ``since`` and changed nothing since then
    counts in no day, so the rows stay those of the chart's days, not of all time.
    """
    left = (
        select(func.min(BuildTransition.at))
        .where(BuildTransition.build_id == Build.id, BuildTransition.from_state == "queued")
        .correlate(Build)
        .scalar_subquery()
    )
    query = select(Build.state, Build.created_at, Build.completed_at, left).where(
        or_(Build.state.in_(sorted(IN_FLIGHT)), Build.updated_at >= since)
    )
    return tuple(ActiveBuildRow(*row) for row in session.connection().execute(query))


def _cron_runs(session: Session) -> tuple[CronRunRow, ...]:
    columns = [getattr(CronRun, f.name) for f in fields(CronRunRow)]
    query = select(*columns).order_by(CronRun.job)
    return tuple(CronRunRow(*row) for row in session.execute(query))


def gather_ops(session: Session, now: datetime) -> OpsGathered:
    """Everything the operators' parts show: six queries. ``now`` is naive UTC, as stored."""
    body = RejectedMessage.body
    rejected = tuple(
        RejectedBodyRow(*row)
        for row in session.execute(
            select(
                RejectedMessage.id,
                RejectedMessage.message_id,
                RejectedMessage.topic,
                RejectedMessage.consumer,
                RejectedMessage.kind,
                RejectedMessage.reason,
                RejectedMessage.rejected_at,
                func.substr(body, 1, BODY_CHARS),
                func.length(body),
            )
            .order_by(RejectedMessage.rejected_at.desc(), RejectedMessage.id.desc())
            .limit(RECENT_REJECTED)
        )
    )
    inbox, rejections = _per_consumer(session)
    total, unsent, oldest, failing, last_error, builds_at, modules_at, comps_at = _scalars(session)
    first_day = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS - 1)
    return OpsGathered(
        rejected=rejected,
        rejected_total=total or 0,
        inbox=inbox,
        rejections=rejections,
        outbox_unsent=unsent or 0,
        outbox_oldest_unsent=oldest,
        outbox_failing=failing or 0,
        outbox_last_error=last_error,
        reconciler_builds_at=builds_at,
        reconciler_modules_at=modules_at,
        reconciler_components_at=comps_at,
        cron_runs=_cron_runs(session),
        failed_builds=_failed_builds(session),
        active_builds=_active_builds(session, first_day),
    )


class _Reader(Protocol):
    def read(self) -> AbstractContextManager[Session]: ...


def read(reader: _Reader, now: datetime) -> OpsGathered:
    """``gather_ops`` in one of the render's reads (``gather_site.Reader``)."""
    with reader.read() as session:
        return gather_ops(session, utc(now).replace(tzinfo=None))
