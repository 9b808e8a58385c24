"""The outbox towards PDC: one row per intended change, sent with bounded retries.

``key`` names the PDC object a change is about (a relationship, a module, a
compose); ``pending_key`` repeats it while the row is pending and is NULL
otherwise, so a unique constraint on it allows at most one pending change per
object: a newer intent replaces the pending one instead of queueing twice.
The latest row per key that left ``pending`` is the last-known state of that
object in PDC, which is what cron diffs against.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models import state_machine
from models.base import Base, utcnow


class PdcUpdateState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class PdcChangeKind(enum.StrEnum):
    RELATIONSHIP_ADD = "relationship.add"
    RELATIONSHIP_REMOVE = "relationship.remove"
    MODULE_UPSERT = "module.upsert"
    COMPOSE_IMPORT = "compose.import"


ALL_STATES = frozenset(s.value for s in PdcUpdateState)
ALL_KINDS = frozenset(k.value for k in PdcChangeKind)
# failed -> pending: an operator (``conveyor pdc initialize``) gives a dead change another go.
TRANSITIONS: state_machine.TransitionTable = {
    "pending": frozenset({"sent", "failed"}),
    "failed": frozenset({"pending"}),
}
KEY_LENGTH = 767


class PdcUpdate(Base):
    __tablename__ = "pdc_updates"
    __table_args__ = (
        Index("ix_pdc_updates_due", "state", "next_attempt_at"),
        Index("ix_pdc_updates_key", "key", "id"),
        CheckConstraint(state_machine.sql_in("state", ALL_STATES), name="state_known"),
        CheckConstraint(state_machine.sql_in("kind", ALL_KINDS), name="kind_known"),
        CheckConstraint(
            "(state = 'pending' AND pending_key IS NOT NULL AND pending_key = key)"
            " OR (state <> 'pending' AND pending_key IS NULL)",
            name="one_pending_per_key",
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("state <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        CheckConstraint("state <> 'failed' OR last_error IS NOT NULL", name="failed_has_error"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    pending_key: Mapped[str | None] = mapped_column(String(KEY_LENGTH), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=PdcUpdateState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()

    def transition(self, to: str, *, now: datetime, error: str | None = None) -> None:
        """Move along an allowed edge; keep ``pending_key`` in step with the state."""
        state_machine.check("pdc_update", TRANSITIONS, self.state, to)
        self.state, self.updated_at = to, now
        self.pending_key = self.key if to == PdcUpdateState.PENDING else None
        if error is not None:
            self.last_error = error
        if to == PdcUpdateState.SENT:
            self.sent_at = now
        if to == PdcUpdateState.PENDING:
            self.attempts, self.next_attempt_at = 0, now
