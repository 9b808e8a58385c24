"""The trace of rebuild chain and chain item state changes (one table for both)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ChainTransition(Base):
    __tablename__ = "chain_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("rebuild_chains.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("chain_items.id"))  # None: the chain
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(255))  # message id, "cli:<user>", "reconciler"
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
