"""A compose, with ODCS's semantics: sources, states, expiry, reuse and regeneration.

States and source types keep ODCS's names (stored) and numeric codes (``state_code``,
``source_type_code``) so the REST API can answer exactly as ODCS does. Composes
Conveyor makes have ``origin`` ``conveyor``; composes seen on the bus (pungi,
ODCS) are recorded with their origin and the id their service gave them.
"""

from __future__ import annotations

from datetime import datetime
from types import MappingProxyType

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import state_machine
from models.base import Base, utcnow
from models.compose_transition import ComposeTransition
from models.outbox import enqueue

TOPIC = "conveyor.compose.state.change.v1"

STATE_CODES = MappingProxyType({"wait": 0, "generating": 1, "done": 2, "removed": 3, "failed": 4})
SOURCE_TYPE_CODES = MappingProxyType(
    {"tag": 1, "module": 2, "repo": 3, "pulp": 4, "raw_config": 5, "build": 6, "pungi_compose": 7}
)
ORIGINS = frozenset({"conveyor", "pungi", "odcs"})
ALL_STATES = frozenset(STATE_CODES)
# removed|failed -> wait is a regeneration from the very same inputs (koji_event kept).
# failed -> removed: ODCS removes expired or deleted failed composes too.
TRANSITIONS: state_machine.TransitionTable = {
    "wait": frozenset({"generating", "failed"}),
    "generating": frozenset({"done", "failed"}),
    "done": frozenset({"removed"}),
    "removed": frozenset({"wait"}),
    "failed": frozenset({"wait", "removed"}),
}
LIVE_STATES = frozenset({"wait", "generating", "done"})


class Compose(Base):
    __tablename__ = "composes"
    __table_args__ = (
        UniqueConstraint("origin", "external_id", name="uq_composes_origin_external_id"),
        Index("ix_composes_state", "state"),
        Index("ix_composes_time_to_expire", "time_to_expire"),
        CheckConstraint(state_machine.sql_in("state", ALL_STATES), name="state_known"),
        CheckConstraint(
            state_machine.sql_in("source_type", frozenset(SOURCE_TYPE_CODES)),
            name="source_type_known",
        ),
        CheckConstraint(state_machine.sql_in("origin", ORIGINS), name="origin_known"),
        CheckConstraint("origin = 'conveyor' OR external_id IS NOT NULL", name="external_has_id"),
        CheckConstraint("origin != 'conveyor' OR time_to_expire IS NOT NULL", name="ours_expire"),
        CheckConstraint(
            "state != 'generating' OR time_started IS NOT NULL", name="generating_has_start"
        ),
        CheckConstraint("state != 'done' OR time_done IS NOT NULL", name="done_has_time"),
        CheckConstraint("state != 'removed' OR time_removed IS NOT NULL", name="removed_has_time"),
        CheckConstraint("state != 'failed' OR state_reason != ''", name="failed_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(16), default="conveyor")
    external_id: Mapped[str | None] = mapped_column(String(255))  # pungi compose_id, odcs id
    owner: Mapped[str] = mapped_column(String(255))
    source_type: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(Text)  # as ODCS has it: space-separated
    # Pinned when generation starts; a regeneration reads koji at exactly this event.
    koji_event: Mapped[int | None] = mapped_column(BigInteger)
    packages: Mapped[list] = mapped_column(JSON, default=list)
    arches: Mapped[list] = mapped_column(JSON, default=list)
    sigkeys: Mapped[list] = mapped_column(JSON, default=list)
    flags: Mapped[list] = mapped_column(JSON, default=list)
    results: Mapped[list] = mapped_column(JSON, default=lambda: ["repository"])
    label: Mapped[str | None] = mapped_column(String(255))
    compose_type: Mapped[str | None] = mapped_column(String(32))  # ODCS: test, production, ...
    release: Mapped[str | None] = mapped_column(String(64))  # for the EOL check
    warnings: Mapped[list] = mapped_column(JSON, default=list)  # e.g. EOL flagged, not refused
    state: Mapped[str] = mapped_column(String(16), default="wait")
    state_reason: Mapped[str] = mapped_column(Text, default="")
    time_submitted: Mapped[datetime] = mapped_column(default=utcnow)
    time_started: Mapped[datetime | None] = mapped_column()
    time_done: Mapped[datetime | None] = mapped_column()
    time_removed: Mapped[datetime | None] = mapped_column()
    time_to_expire: Mapped[datetime | None] = mapped_column()
    removed_by: Mapped[str | None] = mapped_column(String(255))
    reused_id: Mapped[int | None] = mapped_column(ForeignKey("composes.id"))
    result_repo_dir: Mapped[str | None] = mapped_column(Text)
    result_repo_url: Mapped[str | None] = mapped_column(Text)
    result_repofile: Mapped[str | None] = mapped_column(Text)  # URL of the .repo file
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def state_code(self) -> int:
        return STATE_CODES[self.state]

    @property
    def source_type_code(self) -> int:
        return SOURCE_TYPE_CODES[self.source_type]

    @property
    def sources(self) -> list[str]:
        return self.source.split()

    def transition(self, session: Session, to: str, *, cause: str, reason: str = "") -> None:
        """Move along an allowed edge, stamp ODCS's times, trace it, queue the announcement."""
        state_machine.check("compose", TRANSITIONS, self.state, to)
        old, now = self.state, utcnow()
        self.state, self.state_reason, self.updated_at = to, reason, now
        if to == "wait":  # a regeneration starts a fresh life
            self.time_started = self.time_done = self.time_removed = self.removed_by = None
        elif to == "generating":
            self.time_started = now
        elif to == "done":
            self.time_done = now
        elif to == "removed":
            self.time_removed = now
        _trace(session, self, old, cause, reason, now)

    def announcement(self, old: str | None) -> dict:
        """ODCS's odcs.compose.state-changed body shape: the compose as its API shows it."""
        return {"compose": self.as_odcs(), "event": "state-changed", "old": old, "new": self.state}

    def as_odcs(self) -> dict:
        return {
            "id": self.id,
            "owner": self.owner,
            "origin": self.origin,
            "external_id": self.external_id,
            "source_type": self.source_type_code,
            "source_type_name": self.source_type,
            "source": self.source,
            "koji_event": self.koji_event,
            "packages": " ".join(self.packages) or None,
            "arches": " ".join(self.arches),
            "sigkeys": " ".join(self.sigkeys),
            "flags": list(self.flags),
            "results": list(self.results),
            "label": self.label,
            "compose_type": self.compose_type,
            "state": self.state_code,
            "state_name": self.state,
            "state_reason": self.state_reason,
            "time_submitted": _iso(self.time_submitted),
            "time_started": _iso(self.time_started),
            "time_done": _iso(self.time_done),
            "time_removed": _iso(self.time_removed),
            "time_to_expire": _iso(self.time_to_expire),
            "removed_by": self.removed_by,
            "reused_id": self.reused_id,
            "result_repo": self.result_repo_url,
            "result_repofile": self.result_repofile,
        }


def _iso(at: datetime | None) -> str | None:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else None


def _trace(
    session: Session, compose: Compose, old: str | None, cause: str, reason: str, at: datetime
) -> None:
    session.add(
        ComposeTransition(
            compose_id=compose.id, from_state=old, to_state=compose.state, cause=cause,
            reason=reason, at=at,
        )
    )  # fmt: skip
    enqueue(session, TOPIC, compose.announcement(old))


def record(session: Session, compose: Compose, *, cause: str, reason: str = "") -> Compose:
    """Insert a new compose in whatever state it starts in, trace and announce it.

    Conveyor's requests start in ``wait``; a compose first seen on the bus may
    start in any state its service reports.
    """
    now = utcnow()
    compose.time_submitted = compose.time_submitted or now
    compose.updated_at = now
    session.add(compose)
    session.flush()  # the id goes into the trace and the announcement
    _trace(session, compose, None, cause, reason, now)
    return compose


def locked(session: Session, compose_id: int) -> Compose | None:
    """The compose row, locked for this transaction (re-read: it may have moved on)."""
    query = select(Compose).where(Compose.id == compose_id).with_for_update()
    return session.scalars(query).one_or_none()
