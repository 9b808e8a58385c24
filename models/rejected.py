"""Messages Conveyor could not handle, kept whole so an operator can replay them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class RejectedMessage(Base):
    __tablename__ = "rejected_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), index=True)
    topic: Mapped[str] = mapped_column(String(512))
    body: Mapped[str] = mapped_column(Text)  # raw, as received: it may not even be JSON
    headers: Mapped[dict | None] = mapped_column(JSON)
    consumer: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # invalid | exhausted | unexpected
    reason: Mapped[str] = mapped_column(Text)
    rejected_at: Mapped[datetime] = mapped_column(default=utcnow)
