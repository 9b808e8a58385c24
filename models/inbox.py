"""Processed message ids: the inbox that makes redelivered messages a no-op."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base, utcnow


class InboxEntry(Base):
    __tablename__ = "inbox"

    message_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    topic: Mapped[str] = mapped_column(String(512))
    consumer: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


def claim(session: Session, message_id: str, topic: str, consumer: str) -> InboxEntry | None:
    """Record ``message_id`` in this transaction; None if it was processed already.

    The insert takes the unique key first, so a replica handling the same id
    concurrently waits here until the other commits and then sees the
    duplicate (PostgreSQL); SQLite serializes writers at BEGIN IMMEDIATE.
    """
    entry = InboxEntry(message_id=message_id, topic=topic, consumer=consumer, outcome="pending")
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        return None
    return entry
