"""One module a stream definition requires or buildrequires, with its stream list as written."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

if TYPE_CHECKING:
    from models.module_stream import ModuleStreamDefinition

KINDS = ("buildrequires", "requires")


class ModuleDependency(Base):
    __tablename__ = "module_dependencies"
    __table_args__ = (
        UniqueConstraint("definition_id", "block", "kind", "module", name="uq_module_dependencies"),
        CheckConstraint("kind IN ('buildrequires', 'requires')", name="kind_known"),
        CheckConstraint("block >= 0", name="block_not_negative"),
        CheckConstraint("module <> ''", name="module_set"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("module_stream_definitions.id"), index=True
    )
    # v2 lists alternative dependency blocks; v1 has exactly one (block 0).
    block: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    module: Mapped[str] = mapped_column(String(255))
    # Exactly as modulemd v2 says: [] any stream, ["-x"] any but x; v1's one stream as [s].
    streams: Mapped[list[str]] = mapped_column(JSON, default=list)

    definition: Mapped[ModuleStreamDefinition] = relationship(back_populates="dependencies")
