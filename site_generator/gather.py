"""Phase 1: read everything the site shows, in a fixed number of queries.

One read-only transaction (a consistent snapshot on PostgreSQL), one query per
table, plain column selects mapped onto frozen rows: the number of queries
never depends on the number of packages or builds, and nothing lazy-loads
after the session is gone.

``gather`` reads the whole site into memory: fine for small sites, tools and
tests. ``render_site`` reads through ``gather_site`` instead (the index part,
then packages in chunks), built from the same row types, orders and helpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from models import (
    BranchRef,
    Build,
    BuildTransition,
    InboxEntry,
    OutboxMessage,
    Package,
    RejectedMessage,
)
from site_generator.gather_extras import NO_EXTRAS, ExtrasGathered, package_extras
from site_generator.gather_modules import ModulesGathered, gather_modules
from site_generator.gather_pipeline import NO_PIPELINE, PipelineGathered, gather_pipeline
from site_generator.rows import select_rows as _rows

RECENT_REJECTED = 20
# The orders every reader of these tables uses (the contexts rely on them).
BUILD_ORDER = (Build.created_at.desc(), Build.id.desc())  # newest first
TRANSITION_ORDER = (BuildTransition.build_id, BuildTransition.at, BuildTransition.id)
BRANCH_REF_ORDER = (BranchRef.pushed_at.desc(), BranchRef.id.desc())  # newest first


@dataclass(frozen=True)
class PackageRow:
    id: int
    namespace: str
    name: str


@dataclass(frozen=True)
class BuildRow:
    id: int
    package_id: int
    branch: str
    commit: str
    target: str
    state: str
    state_reason: str
    reason: str
    pusher: str | None
    koji_task_id: int | None
    koji_build_id: int | None
    nvr: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class TransitionRow:
    build_id: int
    from_state: str | None
    to_state: str
    cause: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class BranchRefRow:
    package_id: int
    branch: str
    old_commit: str | None
    new_commit: str
    pusher: str | None
    pushed_at: datetime
    message_id: str
    decision: str


@dataclass(frozen=True)
class RejectedRow:
    """A rejected message without its raw body: the site never shows the body."""

    message_id: str
    topic: str
    consumer: str
    kind: str
    reason: str
    rejected_at: datetime


@dataclass(frozen=True)
class Gathered:
    packages: tuple[PackageRow, ...]  # by namespace, name
    builds: tuple[BuildRow, ...]  # newest first
    transitions: tuple[TransitionRow, ...]  # by build, oldest first
    branch_refs: tuple[BranchRefRow, ...]  # newest first
    rejected_count: int
    rejected_recent: tuple[RejectedRow, ...]  # newest first, at most RECENT_REJECTED
    outbox_pending: int
    last_processed: tuple[tuple[str, datetime], ...]  # (consumer, newest processed_at)
    modules: ModulesGathered  # module builds, their components and traces
    # Package pages: CI, composes, module streams of these packages (gather_extras).
    extras: ExtrasGathered = NO_EXTRAS
    # Index part: rebuild chains and composes (gather_pipeline).
    pipeline: PipelineGathered = NO_PIPELINE


def counters(session: Session) -> tuple[int, int]:
    """(rejected messages, outbox rows not sent yet) in one statement: two scalar subqueries."""
    count = func.count()
    rejected_count, outbox_pending = session.execute(
        select(
            select(count).select_from(RejectedMessage).scalar_subquery(),
            select(count)
            .select_from(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None))
            .scalar_subquery(),
        )
    ).one()
    return rejected_count or 0, outbox_pending or 0


def recent_rejected(session: Session) -> tuple[RejectedRow, ...]:
    return _rows(
        session,
        RejectedRow,
        RejectedMessage,
        RejectedMessage.rejected_at.desc(),
        RejectedMessage.id.desc(),
        limit=RECENT_REJECTED,
    )


def last_processed(session: Session) -> tuple[tuple[str, datetime], ...]:
    return tuple(
        (consumer, at)
        for consumer, at in session.execute(
            select(InboxEntry.consumer, func.max(InboxEntry.processed_at))
            .group_by(InboxEntry.consumer)
            .order_by(InboxEntry.consumer)
        )
    )


def packages(session: Session) -> tuple[PackageRow, ...]:
    return _rows(session, PackageRow, Package, Package.namespace, Package.name)


def _gather(session: Session) -> Gathered:
    rejected_count, outbox_pending = counters(session)
    return Gathered(
        packages=packages(session),
        builds=_rows(session, BuildRow, Build, *BUILD_ORDER),
        transitions=_rows(session, TransitionRow, BuildTransition, *TRANSITION_ORDER),
        branch_refs=_rows(session, BranchRefRow, BranchRef, *BRANCH_REF_ORDER),
        rejected_count=rejected_count,
        rejected_recent=recent_rejected(session),
        outbox_pending=outbox_pending,
        last_processed=last_processed(session),
        modules=gather_modules(session),
        extras=package_extras(session, lambda column: column.is_not(None)),
        pipeline=gather_pipeline(session),
    )


def gather(session_factory: sessionmaker[Session]) -> Gathered:
    """Read the whole site's data in one read-only transaction, then roll it back."""
    with session_factory() as session:
        try:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
            return _gather(session)
        finally:
            session.rollback()
