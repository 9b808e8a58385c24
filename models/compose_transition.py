"""The trace of every compose state change: who or what caused it, when and why."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ComposeTransition(Base):
    __tablename__ = "compose_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    compose_id: Mapped[int] = mapped_column(ForeignKey("composes.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(255))  # message id, "cli:<user>", "cron", ...
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
