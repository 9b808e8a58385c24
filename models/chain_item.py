"""One module stream of a rebuild chain, at its tier, with the module build that rebuilds it.

Item states: waiting (tier not started) -> building (module build submitted)
-> done (built, CI not yet decided) -> passed | failed; skipped when its
chain is canceled before it finished. A failed item takes a maintainer's new
build of the same stream when that build passes (failed -> passed): the
chain resumes.
"""

from __future__ import annotations

import enum

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    exists,
    select,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from models import state_machine
from models.base import Base
from models.chain_transition import ChainTransition


class ItemState(enum.StrEnum):
    WAITING = "waiting"
    BUILDING = "building"
    DONE = "done"
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


ALL_STATES = frozenset(s.value for s in ItemState)
TRANSITIONS: state_machine.TransitionTable = {
    "waiting": frozenset({"building", "done", "passed", "failed", "skipped"}),  # taken over
    "building": frozenset({"done", "passed", "failed", "skipped"}),
    "done": frozenset({"passed", "failed", "skipped"}),
    "failed": frozenset({"building", "done", "passed", "skipped"}),  # a fix resumes it
}
HAS_BUILD = frozenset({"building", "done", "passed"})
# chain states (models/rebuild_chain.py) whose modules stay done, not ready: a failed
# chain still holds what it built, since a fix resumes it (canceling releases them)
_HOLDING = ("planned", "running", "failed")


class ChainItem(Base):
    __tablename__ = "chain_items"
    __table_args__ = (
        UniqueConstraint("chain_id", "name", "stream", name="uq_chain_items_module"),
        Index("ix_chain_items_module_build_id", "module_build_id"),
        Index("ix_chain_items_stream", "name", "stream"),
        CheckConstraint(state_machine.sql_in("state", ALL_STATES), name="state_known"),
        CheckConstraint("tier >= 1", name="tier_positive"),
        CheckConstraint(
            "state NOT IN ('building', 'done', 'passed') OR module_build_id IS NOT NULL",
            name="built_has_build",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[int] = mapped_column(ForeignKey("rebuild_chains.id"))
    name: Mapped[str] = mapped_column(String(255))
    stream: Mapped[str] = mapped_column(String(255))
    tier: Mapped[int] = mapped_column(Integer)
    module_build_id: Mapped[int | None] = mapped_column(ForeignKey("module_builds.id"))
    state: Mapped[str] = mapped_column(String(16), default=ItemState.WAITING.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(255), default="")  # who built this stream last

    @property
    def ns(self) -> str:
        return f"{self.name}:{self.stream}"

    def transition(self, session: Session, to: str, *, cause: str, reason: str = "") -> None:
        """Move along an allowed edge and trace it (the chain announces, items do not)."""
        state_machine.check("chain item", TRANSITIONS, self.state, to)
        old, self.state, self.reason = self.state, to, reason
        session.add(
            ChainTransition(chain_id=self.chain_id, item_id=self.id, from_state=old,
                            to_state=to, cause=cause, reason=reason)
        )  # fmt: skip


def is_held(session: Session, module_build_id: int) -> bool:
    """True while the module build must stay ``done``: its chain has not completed.

    Held: the build of an item (not skipped) of a planned, running or failed
    chain, and a build of the stream of a failed item of a failed chain that is
    newer than the item's build (a maintainer's fix: it resumes the chain, and
    moves to ready with the rest of the chain). A complete chain has moved its
    builds to ready; a canceled one releases them to the gate.
    """
    from models.module_build import ModuleBuild  # models.module_build imports nothing of ours
    from models.rebuild_chain import RebuildChain

    member = (
        select(ChainItem.id)
        .join(RebuildChain, RebuildChain.id == ChainItem.chain_id)
        .where(ChainItem.module_build_id == module_build_id, RebuildChain.state.in_(_HOLDING))
        .where(ChainItem.state != "skipped")
    )
    if session.scalar(select(exists(member))):
        return True
    build = session.get(ModuleBuild, module_build_id)
    return build is not None and resumable_item(session, build.name, build.stream,
                                                module_build_id) is not None  # fmt: skip


def resumable_item(session: Session, name: str, stream: str, module_build_id: int):
    """The failed item (of a failed chain) that a newer build of name:stream would fix."""
    from models.rebuild_chain import RebuildChain

    chain, older_than = aliased(RebuildChain), module_build_id
    query = (
        select(ChainItem)
        .join(chain, chain.id == ChainItem.chain_id)
        .where(ChainItem.name == name, ChainItem.stream == stream, ChainItem.state == "failed")
        .where(chain.state == "failed", chain.failed_tier == ChainItem.tier)
        .where(ChainItem.module_build_id.is_(None) | (ChainItem.module_build_id < older_than))
        .order_by(ChainItem.chain_id.desc())
        .limit(1)
    )
    return session.scalars(query).first()
