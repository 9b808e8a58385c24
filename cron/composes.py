"""Compose upkeep: expire, fail stuck composes, re-announce a ``wait`` compose whose
announcement was lost (ODCS's pain point: a compose waiting forever).

Every step locks and re-reads each row and is safe to repeat: a compose another
process moved on meanwhile is skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conveyor.composes.backends import GenerationFailed, backend_for
from conveyor.composes.service import expire_due
from conveyor.settings import Settings
from models import Compose, ComposeTransition
from models.base import utcnow
from models.compose import TOPIC, locked
from models.outbox import enqueue

log = logging.getLogger(__name__)
CAUSE = "cron"


@dataclass(frozen=True)
class Upkeep:
    expired: int
    failed: int
    reannounced: int


def maintain_composes(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime | None = None
) -> Upkeep:
    now = now or utcnow()
    upkeep = Upkeep(
        expire(session_factory, settings, now),
        fail_stuck(session_factory, settings, now),
        reannounce_waiting(session_factory, settings, now),
    )
    if upkeep != Upkeep(0, 0, 0):
        log.info("composes: %s", upkeep)
    return upkeep


def expire(session_factory: sessionmaker[Session], settings: Settings, now: datetime) -> int:
    """Past time_to_expire: removed, then the files deleted (the consumer does it too)."""
    with session_factory.begin() as session:
        expired = expire_due(session, now, cause=CAUSE)
    if expired and settings.composes.backend == "local":
        backend = backend_for(settings)
        for compose_id in expired:
            try:
                backend.remove(Compose(id=compose_id))
            except (GenerationFailed, OSError) as exc:
                log.warning("compose #%s expired; files not deleted: %s", compose_id, exc)
    return len(expired)


def _entered(session: Session, state: str, cutoff: datetime) -> list[int]:
    """Our composes in ``state`` that entered it (last time) before ``cutoff``."""
    entered = (
        select(ComposeTransition.compose_id, func.max(ComposeTransition.at).label("at"))
        .where(ComposeTransition.to_state == state)
        .group_by(ComposeTransition.compose_id)
        .subquery()
    )
    query = (
        select(Compose.id)
        .join(entered, entered.c.compose_id == Compose.id)
        .where(Compose.origin == "conveyor", Compose.state == state, entered.c.at < cutoff)
        .order_by(Compose.id)
    )
    return list(session.scalars(query))


def fail_stuck(session_factory: sessionmaker[Session], settings: Settings, now: datetime) -> int:
    limits = settings.composes
    failed = 0
    for state, minutes in (
        ("wait", limits.stuck_wait_minutes),
        ("generating", limits.stuck_generating_minutes),
    ):
        with session_factory.begin() as session:
            for compose_id in _entered(session, state, now - timedelta(minutes=minutes)):
                compose = locked(session, compose_id)
                if compose is None or compose.state != state:
                    continue
                reason = f"stuck in {state} for more than {minutes} minutes"
                compose.transition(session, "failed", cause=CAUSE, reason=reason)
                failed += 1
    return failed


def reannounce_waiting(
    session_factory: sessionmaker[Session], settings: Settings, now: datetime
) -> int:
    """A wait compose nobody picked up: announce it again (the handler ignores extras)."""
    cutoff = now - timedelta(minutes=settings.composes.reannounce_wait_minutes)
    count = 0
    with session_factory.begin() as session:
        ids = session.scalars(
            select(Compose.id)
            .where(Compose.origin == "conveyor", Compose.state == "wait")
            .where(Compose.updated_at < cutoff)
        ).all()
        for compose_id in ids:
            compose = locked(session, compose_id)
            if compose is None or compose.state != "wait":
                continue
            compose.updated_at = now  # next announcement at the earliest one period later
            enqueue(session, TOPIC, compose.announcement("wait"))
            count += 1
    return count


__all__ = ["Upkeep", "maintain_composes"]
