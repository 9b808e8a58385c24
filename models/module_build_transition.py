"""The traces of module build and component build state changes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class ModuleBuildTransition(Base):
    __tablename__ = "module_build_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_build_id: Mapped[int] = mapped_column(ForeignKey("module_builds.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(255))  # message id, "api:<user>", "reconciler"
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)


class ComponentBuildTransition(Base):
    __tablename__ = "component_build_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    component_build_id: Mapped[int] = mapped_column(ForeignKey("component_builds.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=utcnow)
