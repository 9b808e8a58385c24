"""Outgoing messages, written in the same transaction as the change they announce."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from sqlalchemy import JSON, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from models.base import Base, utcnow

log = logging.getLogger(__name__)

Send = Callable[[str, dict, str], None]


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64), unique=True)
    topic: Mapped[str] = mapped_column(String(255))
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(1024))


def enqueue(session: Session, topic: str, body: dict) -> OutboxMessage:
    row = OutboxMessage(message_id=str(uuid.uuid4()), topic=topic, body=body)
    session.add(row)
    session.info.setdefault("outbox", []).append(row)
    return row


def queued_in(session: Session) -> list[OutboxMessage]:
    """The rows ``enqueue`` added in this session, to publish right after commit."""
    return list(session.info.pop("outbox", []))


def flush(
    session_factory: sessionmaker[Session],
    send: Send,
    *,
    ids: Iterable[int] | None = None,
    older_than: timedelta | None = None,
    limit: int = 500,
) -> int:
    """Publish pending rows, oldest first; return how many were sent.

    Rows are locked (SKIP LOCKED where the database has it) so the cron
    flusher and a consumer never send the same row at once. A row that fails
    stays pending for the next flush; its message id never changes, so a
    receiver can drop a copy sent twice after a crash.
    """
    sent = 0
    with session_factory.begin() as session:
        query = select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        if ids is not None:
            query = query.where(OutboxMessage.id.in_(list(ids)))
        if older_than is not None:
            query = query.where(OutboxMessage.created_at <= utcnow() - older_than)
        query = query.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
        for row in session.scalars(query):
            try:
                send(row.topic, row.body, row.message_id)
            except Exception as exc:  # noqa: BLE001 - any broker failure leaves the row pending
                row.attempts += 1
                row.last_error = str(exc)[:1024]
                log.warning("outbox: publishing %s failed: %s", row.message_id, exc)
                break
            row.sent_at = utcnow()
            sent += 1
    return sent
