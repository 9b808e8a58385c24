"""An rpm build Conveyor asked koji for, and its state machine."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import state_machine
from models.base import Base, utcnow
from models.build_transition import BuildTransition
from models.outbox import enqueue
from models.package import Package
from models.site_dirty import mark_dirty


class BuildState(enum.StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELED = "canceled"
    SKIPPED = "skipped"


ALL_STATES = frozenset(s.value for s in BuildState)

# queued -> failed covers a submission koji refuses (unknown target, bad source).
TRANSITIONS: state_machine.TransitionTable = {
    "queued": frozenset({"building", "skipped", "failed", "canceled"}),
    "building": frozenset({"complete", "failed", "canceled"}),
}
TERMINAL = state_machine.terminal_states(TRANSITIONS, ALL_STATES)
# koji task state name -> Build state; FREE and ASSIGNED tell nothing new.
KOJI_TASK_TO_BUILD = {
    "OPEN": "building",
    "CLOSED": "complete",
    "FAILED": "failed",
    "CANCELED": "canceled",
}
# The order in which koji reports progress; a report behind the current state is stale.
PROGRESS = {"queued": 0, "building": 1, "complete": 2, "failed": 2, "canceled": 2, "skipped": 2}


class Build(Base):
    __tablename__ = "builds"
    __table_args__ = (
        UniqueConstraint("package_id", "commit", "target", name="uq_builds_package_commit_target"),
        Index("ix_builds_state", "state"),
        Index("ix_builds_koji_task_id", "koji_task_id"),
        # The status site's reads by recency: builds changed since a day (the index
        # pages, the operators' chart) and the newest failures (the global feed).
        Index("ix_builds_updated_at", "updated_at"),
        Index("ix_builds_state_updated_at", "state", "updated_at"),
        CheckConstraint(state_machine.sql_in("state", ALL_STATES), name="state_known"),
        CheckConstraint(
            "state NOT IN ('building', 'complete') OR koji_task_id IS NOT NULL",
            name="started_has_task",
        ),
        CheckConstraint("state <> 'complete' OR nvr IS NOT NULL", name="complete_has_nvr"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    branch: Mapped[str] = mapped_column(String(255))
    commit: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=BuildState.QUEUED.value)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")  # why the build was started
    pusher: Mapped[str | None] = mapped_column(String(255))
    koji_task_id: Mapped[int | None] = mapped_column(Integer)
    koji_build_id: Mapped[int | None] = mapped_column(Integer)
    nvr: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    package: Mapped[Package] = relationship()

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL

    def is_behind(self, state: str) -> bool:
        """True when ``state`` is news: further along than where this build stands."""
        return PROGRESS[state] > PROGRESS[self.state]

    def advance(self, session: Session, to: str, *, cause: str, reason: str = "") -> bool:
        """Move forward to ``to`` if that is news; through ``building`` if that news was lost.

        Returns False (and changes nothing) for a duplicate or late report.
        """
        if not self.is_behind(to):
            return False
        if self.state == "queued" and to in ("complete", "failed") and self.koji_task_id:
            self.transition(session, "building", cause=cause, reason="implied by a later state")
        self.transition(session, to, cause=cause, reason=reason)
        return True

    def record_request(self, session: Session, *, cause: str) -> None:
        """Trace and announce a new request (the build row must be flushed)."""
        session.add(
            BuildTransition(build_id=self.id, from_state=None, to_state=self.state, cause=cause)
        )
        enqueue(session, "conveyor.build.state.change.v1", self.announcement(None))
        mark_dirty(session, "package", self.package_id)

    def transition(self, session: Session, to: str, *, cause: str, reason: str = "") -> None:
        """Move to ``to`` along an allowed edge, trace it and queue the announcement."""
        state_machine.check("build", TRANSITIONS, self.state, to)
        old = self.state
        now = utcnow()
        self.state, self.updated_at = to, now
        if reason:
            self.state_reason = reason
        if to in TERMINAL:
            self.completed_at = now
        session.add(
            BuildTransition(
                build_id=self.id, from_state=old, to_state=to, cause=cause, reason=reason, at=now
            )
        )
        enqueue(session, "conveyor.build.state.change.v1", self.announcement(old))
        mark_dirty(session, "package", self.package_id)

    def announcement(self, old: str | None) -> dict:
        return {
            "build": {
                "id": self.id,
                "namespace": self.package.namespace,
                "name": self.package.name,
                "branch": self.branch,
                "commit": self.commit,
                "target": self.target,
                "source": self.source,
                "nvr": self.nvr,
                "koji_task_id": self.koji_task_id,
                "koji_build_id": self.koji_build_id,
                "state": self.state,
                "state_reason": self.state_reason,
            },
            "old": old,
            "new": self.state,
            "owner": self.pusher,
        }
