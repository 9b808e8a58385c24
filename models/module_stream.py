"""The module knower: what a module stream's modulemd said, recorded at each commit.

Definitions are history, never updated: a push, a loaded file or a module build adds
one row per (name, stream, source). The newest row of a stream is its current
definition; the older rows answer "what did the definition say at that commit".
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models import state_machine
from models.base import Base, utcnow

if TYPE_CHECKING:
    from models.module_component_ref import ModuleComponentRef
    from models.module_dependency import ModuleDependency

# commit: a dist-git push (source = the commit hash); file: `conveyor deps load`
# (source = sha256 of the documents' text); build: a module build's modulemd.
SOURCE_KINDS = frozenset({"commit", "file", "build"})


class ModuleStreamDefinition(Base):
    __tablename__ = "module_stream_definitions"
    __table_args__ = (
        UniqueConstraint("name", "stream", "source", name="uq_module_stream_definitions_source"),
        Index("ix_module_stream_definitions_name_stream", "name", "stream", "id"),
        CheckConstraint(state_machine.sql_in("source_kind", SOURCE_KINDS), name="source_kind"),
        CheckConstraint("mdversion IN (1, 2, 3)", name="mdversion_known"),
        CheckConstraint("name <> '' AND stream <> '' AND source <> ''", name="identity_set"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    stream: Mapped[str] = mapped_column(String(255))  # a string: 5.30 is not 5.3
    source_kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(128))
    origin: Mapped[str] = mapped_column(Text, default="")  # repository URL or file path
    mdversion: Mapped[int] = mapped_column(Integer)
    # v1's eol, else the v2 "rawhide" service level's eol (what MBS reads as the EOL).
    eol: Mapped[date | None] = mapped_column()
    # service level name -> ISO date or null (no end announced)
    servicelevels: Mapped[dict[str, str | None]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    dependencies: Mapped[list[ModuleDependency]] = relationship(
        back_populates="definition", order_by="ModuleDependency.id"
    )
    components: Mapped[list[ModuleComponentRef]] = relationship(
        back_populates="definition", order_by="ModuleComponentRef.rpm"
    )

    @property
    def ns(self) -> str:
        return f"{self.name}:{self.stream}"
