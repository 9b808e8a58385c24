"""One rpm component of a stream definition and the dist-git ref it is built from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base

if TYPE_CHECKING:
    from models.module_stream import ModuleStreamDefinition


class ModuleComponentRef(Base):
    __tablename__ = "module_component_refs"
    __table_args__ = (
        UniqueConstraint("definition_id", "rpm", name="uq_module_component_refs_rpm"),
        CheckConstraint("rpm <> ''", name="rpm_set"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(
        ForeignKey("module_stream_definitions.id"), index=True
    )
    rpm: Mapped[str] = mapped_column(String(255), index=True)  # the rpms/<name> repository
    # As written; None means the deployment's default branch (modules.default_component_ref).
    ref: Mapped[str | None] = mapped_column(String(255))

    definition: Mapped[ModuleStreamDefinition] = relationship(back_populates="components")
