"""One rpm component of a module build: built in koji, or reused from an earlier build."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import state_machine
from models.base import Base, utcnow
from models.module_build_transition import ComponentBuildTransition
from models.site_dirty import mark_dirty

if TYPE_CHECKING:
    from models.module_build import ModuleBuild


class ComponentState(enum.StrEnum):
    WAITING = "waiting"  # not yet submitted: a later batch, or throttled
    BUILDING = "building"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELED = "canceled"
    REUSED = "reused"  # unchanged since the last build of the stream: its build is tagged


ALL_STATES = frozenset(s.value for s in ComponentState)
# failed/canceled -> waiting is the resume of a failed module build.
TRANSITIONS: state_machine.TransitionTable = {
    "waiting": frozenset({"building", "reused", "failed", "canceled"}),
    "building": frozenset({"complete", "failed", "canceled"}),
    "failed": frozenset({"waiting"}),
    "canceled": frozenset({"waiting"}),
}
FINISHED = frozenset({"complete", "reused"})
UNSUCCESSFUL = frozenset({"failed", "canceled"})
PROGRESS = {"waiting": 0, "building": 1, "complete": 2, "failed": 2, "canceled": 2, "reused": 2}


class ComponentBuild(Base):
    __tablename__ = "component_builds"
    __table_args__ = (
        UniqueConstraint("module_build_id", "package", name="uq_component_builds_module_package"),
        Index("ix_component_builds_koji_task_id", "koji_task_id"),
        Index("ix_component_builds_state", "state"),
        Index("ix_component_builds_nvr", "nvr"),
        CheckConstraint(state_machine.sql_in("state", ALL_STATES), name="state_known"),
        CheckConstraint("batch >= 1", name="batch_positive"),
        CheckConstraint(
            "state NOT IN ('building', 'complete') OR koji_task_id IS NOT NULL",
            name="started_has_task",
        ),
        CheckConstraint("state NOT IN ('complete', 'reused') OR nvr IS NOT NULL", name="has_nvr"),
        CheckConstraint(
            "state <> 'reused' OR reused_from_id IS NOT NULL", name="reused_has_origin"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_build_id: Mapped[int] = mapped_column(ForeignKey("module_builds.id"), index=True)
    package: Mapped[str] = mapped_column(String(255))
    ref: Mapped[str] = mapped_column(String(255))  # as written in the modulemd (or the default)
    commit: Mapped[str] = mapped_column(String(64))  # the ref resolved at init
    repository: Mapped[str] = mapped_column(Text)
    batch: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default=ComponentState.WAITING.value)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    koji_task_id: Mapped[int | None] = mapped_column(Integer)
    koji_build_id: Mapped[int | None] = mapped_column(Integer)
    nvr: Mapped[str | None] = mapped_column(String(512))
    tagged_build: Mapped[bool] = mapped_column(default=False)  # in the module's -build tag
    tagged_dest: Mapped[bool] = mapped_column(default=False)  # in the module's tag
    reused_from_id: Mapped[int | None] = mapped_column(ForeignKey("component_builds.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    module_build: Mapped[ModuleBuild] = relationship(back_populates="components")

    @property
    def source(self) -> str:
        return f"git+{self.repository}#{self.commit}"

    @property
    def finished(self) -> bool:
        return self.state in FINISHED

    @property
    def tagged(self) -> bool:
        return self.tagged_build and self.tagged_dest

    def is_behind(self, state: str) -> bool:
        return PROGRESS[state] > PROGRESS[self.state]

    def transition(self, session: Session, to: str, *, cause: str, reason: str = "") -> None:
        state_machine.check("component build", TRANSITIONS, self.state, to)
        old, now = self.state, utcnow()
        self.state, self.updated_at = to, now
        self.state_reason = reason
        session.add(
            ComponentBuildTransition(
                component_build_id=self.id,
                from_state=old,
                to_state=to,
                cause=cause,
                reason=reason,
                at=now,
            )
        )
        mark_dirty(session, "module_build", self.module_build_id)

    def advance(self, session: Session, to: str, *, cause: str, reason: str = "") -> bool:
        """Move forward if that is news (through ``building`` if that report was lost)."""
        if not self.is_behind(to):
            return False
        if self.state == "waiting" and to in ("complete", "failed") and self.koji_task_id:
            self.transition(session, "building", cause=cause, reason="implied by a later state")
        self.transition(session, to, cause=cause, reason=reason)
        return True

    def reset_for_resume(self, session: Session, *, cause: str) -> None:
        """A failed or canceled component is built again; the old task stays in the trace."""
        self.transition(session, "waiting", cause=cause, reason="module build resumed")
        self.koji_task_id = self.koji_build_id = None
        self.nvr = None
        self.tagged_build = self.tagged_dest = False

    def summary(self) -> dict:
        return {
            "package": self.package,
            "ref": self.ref,
            "commit": self.commit,
            "batch": self.batch,
            "state": self.state,
            "state_reason": self.state_reason,
            "koji_task_id": self.koji_task_id,
            "nvr": self.nvr,
        }
