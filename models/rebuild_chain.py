"""A rebuild chain: the module streams to rebuild, tier by tier, after a change.

States: planned -> running -> complete | failed | canceled; a failed chain
resumes (failed -> running) when a fixed build of the failed stream passes;
a chain superseded by a newer push is canceled with a link to its successor.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models import state_machine
from models.base import Base, utcnow
from models.chain_item import ChainItem
from models.chain_transition import ChainTransition
from models.outbox import enqueue

TOPIC = "conveyor.chain.state.change.v1"


class ChainState(enum.StrEnum):
    PLANNED = "planned"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELED = "canceled"


class TriggerKind(enum.StrEnum):
    PUSH = "push"
    MODULE = "module"
    MANUAL = "manual"


ALL_STATES = frozenset(s.value for s in ChainState)
TRIGGERS = frozenset(k.value for k in TriggerKind)
TRANSITIONS: state_machine.TransitionTable = {
    "planned": frozenset({"running", "canceled", "complete"}),  # complete: nothing to build
    "running": frozenset({"complete", "failed", "canceled"}),
    "failed": frozenset({"running", "canceled"}),
}
ACTIVE = frozenset({"planned", "running"})


class RebuildChain(Base):
    __tablename__ = "rebuild_chains"
    __table_args__ = (
        Index("ix_rebuild_chains_state", "state"),
        Index("ix_rebuild_chains_trigger", "trigger_namespace", "trigger_name", "trigger_branch"),
        CheckConstraint(state_machine.sql_in("state", ALL_STATES), name="state_known"),
        CheckConstraint(state_machine.sql_in("trigger_kind", TRIGGERS), name="trigger_known"),
        CheckConstraint("state != 'failed' OR failed_tier IS NOT NULL", name="failed_has_tier"),
        CheckConstraint(
            "superseded_by_id IS NULL OR state = 'canceled'", name="superseded_is_canceled"
        ),
        CheckConstraint(
            "trigger_module IS NOT NULL "
            "OR (trigger_name IS NOT NULL AND trigger_branch IS NOT NULL)",
            name="trigger_named",
        ),
        CheckConstraint("current_tier >= 0", name="tier_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger_kind: Mapped[str] = mapped_column(String(16))
    # a component push (or manual start on one): rpms/<name> at <branch>, <commit>
    trigger_namespace: Mapped[str | None] = mapped_column(String(64))
    trigger_name: Mapped[str | None] = mapped_column(String(255))
    trigger_branch: Mapped[str | None] = mapped_column(String(255))
    trigger_commit: Mapped[str | None] = mapped_column(String(64))
    trigger_module: Mapped[str | None] = mapped_column(String(511))  # "name:stream" rebuilt
    # the ready module build that triggered it: one chain per build, however often told
    trigger_module_build_id: Mapped[int | None] = mapped_column(
        ForeignKey("module_builds.id"), unique=True
    )
    requester: Mapped[str] = mapped_column(String(255))  # the pusher or the CLI user
    state: Mapped[str] = mapped_column(String(16), default=ChainState.PLANNED.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    current_tier: Mapped[int] = mapped_column(Integer, default=0)  # 0 until tier 1 starts
    failed_tier: Mapped[int | None] = mapped_column(Integer)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("rebuild_chains.id"))
    # every module build of the chain gets this version (see consumers/chain_start.py)
    module_version: Mapped[int] = mapped_column(BigInteger)
    cycles: Mapped[list] = mapped_column(JSON, default=list)  # cycles the planner broke
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()

    items: Mapped[list[ChainItem]] = relationship(
        order_by="(ChainItem.tier, ChainItem.name, ChainItem.stream)"
    )

    @property
    def trigger(self) -> str:
        if self.trigger_module:
            return self.trigger_module
        return f"{self.trigger_namespace}/{self.trigger_name}@{self.trigger_branch}"

    @property
    def last_tier(self) -> int:
        return max((i.tier for i in self.items), default=0)

    def tier_items(self, tier: int | None = None) -> list[ChainItem]:
        wanted = self.current_tier if tier is None else tier
        return [i for i in self.items if i.tier == wanted]

    def transition(self, session: Session, to: str, *, cause: str, reason: str = "") -> None:
        """Move along an allowed edge, trace it and queue the announcement."""
        state_machine.check("rebuild chain", TRANSITIONS, self.state, to)
        old, now = self.state, utcnow()
        self.state, self.updated_at, self.reason = to, now, reason
        self.completed_at = now if to in ("complete", "failed", "canceled") else None
        if to != "failed":
            self.failed_tier = None if to == "running" else self.failed_tier
        session.add(
            ChainTransition(chain_id=self.id, from_state=old, to_state=to, cause=cause,
                            reason=reason, at=now)
        )  # fmt: skip
        enqueue(session, TOPIC, self.announcement(old))

    def announcement(self, old: str | None) -> dict:
        owners = {i.owner for i in self.items if i.owner}
        usernames = sorted({*owners, self.requester} - {"", "(unknown)"})
        return {
            "chain": {
                "id": self.id,
                "trigger_kind": self.trigger_kind,
                "trigger": self.trigger,
                "commit": self.trigger_commit,
                "requester": self.requester,
                "state": self.state,
                "reason": self.reason,
                "current_tier": self.current_tier,
                "failed_tier": self.failed_tier,
                "superseded_by": self.superseded_by_id,
                "tiers": [
                    sorted(i.ns for i in self.tier_items(t)) for t in range(1, self.last_tier + 1)
                ],
                "packages": [self.trigger_name] if self.trigger_name else [],
            },
            "usernames": usernames,
            "old": old,
            "new": self.state,
        }


def locked(session: Session, chain_id: int) -> RebuildChain | None:
    """The chain row, locked for this transaction (re-read: it may have moved on)."""
    query = select(RebuildChain).where(RebuildChain.id == chain_id).with_for_update()
    return session.scalars(query).one_or_none()
