"""The latest gating verdict per module build or koji build: what the status site shows.

One row per subject, rewritten on every decision (the module build's trace
table keeps the history of what the verdict did to it).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Select, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import state_machine
from models.base import Base, utcnow

VERDICTS = frozenset({"passed", "failed", "waiting"})


class GatingDecision(Base):
    __tablename__ = "gating_decisions"
    __table_args__ = (
        CheckConstraint(state_machine.sql_in("outcome", VERDICTS), name="outcome_known"),
        CheckConstraint("(module_build_id IS NULL) <> (nvr IS NULL)", name="one_subject"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_build_id: Mapped[int | None] = mapped_column(ForeignKey("module_builds.id"), unique=True)
    nvr: Mapped[str | None] = mapped_column(String(512), unique=True)
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    # the required test cases still without a satisfying result
    missing: Mapped[list] = mapped_column(JSON, default=list)
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


def store(
    session: Session,
    *,
    outcome: str,
    reason: str,
    missing: tuple[str, ...],
    module_build_id: int | None = None,
    nvr: str | None = None,
) -> GatingDecision:
    """Keep the latest decision for the subject (callers hold the subject's lock)."""
    query = _query(module_build_id, nvr)
    row = session.scalars(query).one_or_none()
    values = {
        "outcome": outcome,
        "reason": reason,
        "missing": list(missing),
        "decided_at": utcnow(),
    }
    if row is None:
        try:
            with session.begin_nested():
                row = GatingDecision(module_build_id=module_build_id, nvr=nvr, **values)
                session.add(row)
            return row
        except IntegrityError:  # another replica decided first: take its row over
            row = session.scalars(query).one()
    for key, value in values.items():
        setattr(row, key, value)
    return row


def current(
    session: Session, *, module_build_id: int | None = None, nvr: str | None = None
) -> GatingDecision | None:
    return session.scalars(_query(module_build_id, nvr)).one_or_none()


def _query(module_build_id: int | None, nvr: str | None) -> Select[tuple[GatingDecision]]:
    if module_build_id is not None:
        return select(GatingDecision).where(GatingDecision.module_build_id == module_build_id)
    return select(GatingDecision).where(GatingDecision.nvr == nvr)
