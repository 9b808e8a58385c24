"""What a compose contains: one row per RPM (NVR + arch) or module (NSVC).

The status site answers "which composes contain build X / module Y" from here.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

KINDS = ("rpm", "module")


class ComposeContent(Base):
    __tablename__ = "compose_contents"
    __table_args__ = (
        Index("ix_compose_contents_artifact", "kind", "artifact"),
        Index("ix_compose_contents_name", "kind", "name"),
        CheckConstraint("kind IN ('module', 'rpm')", name="kind_known"),
        CheckConstraint("kind != 'rpm' OR arch IS NOT NULL", name="rpm_has_arch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    compose_id: Mapped[int] = mapped_column(ForeignKey("composes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    artifact: Mapped[str] = mapped_column(String(512))  # the build's NVR or the module's NSVC
    name: Mapped[str] = mapped_column(String(255))  # package name, or module name
    arch: Mapped[str | None] = mapped_column(String(32))  # an RPM's arch; None for a module
