"""Branch history: every ref a push moved, and what Conveyor decided to do about it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow
from models.package import Package


class BranchRef(Base):
    __tablename__ = "branch_refs"
    __table_args__ = (Index("ix_branch_refs_package_branch", "package_id", "branch", "pushed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    branch: Mapped[str] = mapped_column(String(255))
    old_commit: Mapped[str | None] = mapped_column(String(64))
    new_commit: Mapped[str] = mapped_column(String(64))
    pusher: Mapped[str | None] = mapped_column(String(255))
    pushed_at: Mapped[datetime] = mapped_column(default=utcnow)
    message_id: Mapped[str] = mapped_column(String(255))
    # Why a build was (or was not) started: packagers ask this first.
    decision: Mapped[str] = mapped_column(Text, default="")

    package: Mapped[Package] = relationship()
