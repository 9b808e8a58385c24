"""``conveyor status``: the few numbers an operator checks first."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from models.build import Build
from models.outbox import OutboxMessage
from models.rejected import RejectedMessage


def summary(session_factory: sessionmaker[Session]) -> Iterator[str]:
    with session_factory() as session:
        by_state = session.execute(
            select(Build.state, func.count()).group_by(Build.state).order_by(Build.state)
        ).all()
        rejected = session.scalar(select(func.count()).select_from(RejectedMessage))
        pending = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
    yield "builds: " + (", ".join(f"{state} {count}" for state, count in by_state) or "none")
    yield f"rejected messages: {rejected}"
    yield f"outbox pending: {pending}"
