"""A dist-git repository: namespace plus name (``rpms/bash``)."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import Base


class Package(Base):
    __tablename__ = "packages"
    __table_args__ = (UniqueConstraint("namespace", "name", name="uq_packages_namespace_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    namespace: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))

    @property
    def path(self) -> str:
        return f"{self.namespace}/{self.name}"

    @classmethod
    def get_or_create(cls, session: Session, namespace: str, name: str) -> Package:
        """Return the package row, creating it race-safely (a savepoint absorbs the loser)."""
        query = select(cls).where(cls.namespace == namespace, cls.name == name)
        package = session.scalars(query).one_or_none()
        if package is not None:
            return package
        try:
            with session.begin_nested():
                package = cls(namespace=namespace, name=name)
                session.add(package)
        except IntegrityError:
            package = session.scalars(query).one()
        return package
