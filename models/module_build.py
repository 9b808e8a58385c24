"""A module build: the orchestrator's state machine (init, wait, build, done, ready, failed)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from conveyor.errors import Invalid
from models import state_machine
from models.base import Base, utcnow
from models.component_build import ComponentBuild
from models.module_build_transition import ModuleBuildTransition
from models.outbox import enqueue
from models.site_dirty import mark_dirty

TOPIC = "conveyor.module.state.change.v1"


class NotCancelable(Invalid):
    """Only a module build in progress can be canceled."""


class ModuleState(enum.StrEnum):
    INIT = "init"
    WAIT = "wait"
    BUILD = "build"
    DONE = "done"
    READY = "ready"
    FAILED = "failed"


ALL_STATES = frozenset(s.value for s in ModuleState)
# failed -> init is a resubmission of the same name:stream:version: it resumes.
TRANSITIONS: state_machine.TransitionTable = {
    "init": frozenset({"wait", "failed"}),
    "wait": frozenset({"build", "failed"}),
    "build": frozenset({"done", "failed"}),
    "done": frozenset({"ready"}),
    "failed": frozenset({"init"}),
}
IN_PROGRESS = frozenset({"init", "wait", "build"})
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_.+]")


class ModuleBuild(Base):
    __tablename__ = "module_builds"
    __table_args__ = (
        UniqueConstraint("name", "stream", "version", name="uq_module_builds_nsv"),
        Index("ix_module_builds_state", "state"),
        Index("ix_module_builds_koji_tag", "koji_tag"),
        CheckConstraint(state_machine.sql_in("state", ALL_STATES), name="state_known"),
        CheckConstraint("batch >= 0", name="batch_not_negative"),
        CheckConstraint(
            "state NOT IN ('build', 'done', 'ready') OR koji_tag IS NOT NULL",
            name="building_has_tag",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    stream: Mapped[str] = mapped_column(String(255))
    version: Mapped[int] = mapped_column(BigInteger)
    context: Mapped[str] = mapped_column(String(16), default="00000000")
    scmurl: Mapped[str] = mapped_column(Text)
    commit: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(255))
    modulemd: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=ModuleState.INIT.value)
    state_reason: Mapped[str] = mapped_column(Text, default="")
    batch: Mapped[int] = mapped_column(Integer, default=0)  # the batch being built
    koji_tag: Mapped[str | None] = mapped_column(String(255))
    # "name:stream" -> koji tag, resolved at init: the build tag's inheritance, in order
    buildrequires: Mapped[dict] = mapped_column(JSON, default=dict)
    repo_task_id: Mapped[int | None] = mapped_column(Integer)  # newRepo awaited for the batch
    last_repo_id: Mapped[int | None] = mapped_column(Integer)  # the last repo that advanced us
    repo_requested_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    components: Mapped[list[ComponentBuild]] = relationship(
        back_populates="module_build", order_by="(ComponentBuild.batch, ComponentBuild.package)"
    )

    @property
    def nsv(self) -> str:
        return f"{self.name}:{self.stream}:{self.version}"

    @property
    def nsvc(self) -> str:
        return f"{self.nsv}:{self.context}"

    @property
    def build_tag(self) -> str | None:
        return f"{self.koji_tag}-build" if self.koji_tag else None

    def tag_name(self) -> str:
        """MBS's layout: module-<name>-<stream>-<version>-<context>, koji-safe characters."""
        stream = _TAG_UNSAFE.sub("_", self.stream.replace("-", "_"))
        name = _TAG_UNSAFE.sub("_", self.name)
        return f"module-{name}-{stream}-{self.version}-{self.context}"

    def batch_components(self, batch: int | None = None) -> list[ComponentBuild]:
        wanted = self.batch if batch is None else batch
        return [c for c in self.components if c.batch == wanted]

    @property
    def last_batch(self) -> int:
        return max((c.batch for c in self.components), default=0)

    def transition(self, session: Session, to: str, *, cause: str, reason: str = "") -> None:
        """Move along an allowed edge, trace it and queue the announcement."""
        state_machine.check("module build", TRANSITIONS, self.state, to)
        old, now = self.state, utcnow()
        self.state, self.updated_at = to, now
        self.state_reason = reason
        self.completed_at = (
            now if to in ("done", "failed") else None if to == "init" else self.completed_at
        )
        session.add(
            ModuleBuildTransition(
                module_build_id=self.id, from_state=old, to_state=to, cause=cause, reason=reason,
                at=now,
            )
        )  # fmt: skip
        enqueue(session, TOPIC, self.announcement(old))
        mark_dirty(session, "module_build", self.id)

    def cancel(self, session: Session, *, by: str, cause: str) -> None:
        """Stop a build in progress; the module consumer then cancels its koji tasks."""
        if self.state not in IN_PROGRESS:
            raise NotCancelable(f"module build #{self.id} is {self.state}: only init, wait or "
                                "build can be canceled")  # fmt: skip
        self.transition(session, "failed", cause=cause, reason=f"canceled by {by}")

    def announcement(self, old: str | None) -> dict:
        return {
            "module_build": {
                "id": self.id,
                "name": self.name,
                "stream": self.stream,
                "version": str(self.version),
                "context": self.context,
                "state": self.state,
                "state_reason": self.state_reason,
                "owner": self.owner,
                "scmurl": self.scmurl,
                "koji_tag": self.koji_tag,
                "batch": self.batch,
                "components": sorted({c.package for c in self.components}),
            },
            "old": old,
            "new": self.state,
        }


@dataclass(frozen=True)
class Submission:
    """What a caller learns from recording a request: a new build, a resume, or a conflict."""

    module_build: ModuleBuild
    outcome: str  # created | resumed | exists


def submit(
    session: Session,
    *,
    name: str,
    stream: str,
    version: int,
    scmurl: str,
    commit: str,
    owner: str,
    modulemd: str,
    cause: str,
) -> Submission:
    """Record a module build request in ``init``; a failed build of the same NSV resumes.

    The request is announced through the outbox; the module consumer does the work.
    """
    found = _by_nsv(session, name, stream, version)
    if found is None:
        build = ModuleBuild(
            name=name, stream=stream, version=version, scmurl=scmurl, commit=commit,
            owner=owner, modulemd=modulemd,
        )  # fmt: skip
        try:
            with session.begin_nested():
                session.add(build)
        except IntegrityError:
            found = _by_nsv(session, name, stream, version)
        else:
            session.add(
                ModuleBuildTransition(
                    module_build_id=build.id, from_state=None, to_state="init", cause=cause,
                    reason=f"submitted by {owner}",
                )
            )  # fmt: skip
            enqueue(session, TOPIC, build.announcement(None))
            mark_dirty(session, "module_build", build.id)
            return Submission(build, "created")
    if found is None or found.state != "failed":
        return Submission(found, "exists")  # type: ignore[arg-type]
    found.transition(session, "init", cause=cause, reason=f"resubmitted by {owner}: resuming")
    return Submission(found, "resumed")


def _by_nsv(session: Session, name: str, stream: str, version: int) -> ModuleBuild | None:
    query = (
        select(ModuleBuild)
        .where(ModuleBuild.name == name, ModuleBuild.stream == stream)
        .where(ModuleBuild.version == version)
        .with_for_update()
    )
    return session.scalars(query).one_or_none()


def locked(session: Session, module_build_id: int) -> ModuleBuild | None:
    """The module build row, locked for this transaction (re-read: it may have moved on)."""
    query = select(ModuleBuild).where(ModuleBuild.id == module_build_id).with_for_update()
    return session.scalars(query).one_or_none()
