"""What the status site must render again: one row per (kind, key) changed since the last render.

``mark_dirty`` runs in the same transaction as the change it marks (a rolled-back
change leaves no row), as one upsert: the first mark of a key inserts its row,
a later one only bumps its ``generation``. The renderer reads the rows before
it reads any data and, once the pages are written, deletes exactly the rows
it read *at the generation it read* (``clear``): a key marked again while it
rendered keeps its row (its generation moved on) and is rendered by the next
run. That is why a re-mark bumps the generation instead of doing nothing: with
``DO NOTHING`` a change committed during a render would ride on a row the
renderer is about to delete, and be lost until the next full render.

Kinds are the pages that have one row of data behind them: ``package``
(``packages.id``), ``module_build`` (``module_builds.id``), ``chain``
(``rebuild_chains.id``), ``compose`` (``composes.id``) and ``stream``
(``module_stream_definitions.id``: a new definition; the render rewrites every
stream page, see ``site_generator.streams``). Changes recorded by
other aggregates' trace tables (chain and compose transitions, CI results and
gating decisions, module stream definitions) are marked by the mapper
listeners of ``models.site_dirty_listeners``, in the same flush.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, delete, event, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from models.base import Base, utcnow
from models.branch_ref import BranchRef

KINDS = frozenset({"package", "module_build", "chain", "compose", "stream"})
_CLEAR_BATCH = 500  # rows per DELETE statement


class SiteDirty(Base):
    __tablename__ = "site_dirty"

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class DirtyRow:
    kind: str
    key: int
    generation: int


def _upsert(dialect: str, kind: str, key: int):
    if kind not in KINDS:
        raise ValueError(f"unknown site_dirty kind {kind!r}")
    if type(key) is not int:
        raise ValueError(f"site_dirty key must be an int id, not {key!r}")
    table = SiteDirty.__table__
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
    if insert is None:
        raise NotImplementedError(f"site_dirty: no upsert for {dialect}")
    stmt = insert(table).values(kind=kind, key=key, generation=1, marked_at=utcnow())
    return stmt.on_conflict_do_update(
        index_elements=[table.c.kind, table.c.key],
        set_={"generation": table.c.generation + 1, "marked_at": stmt.excluded.marked_at},
    )


def mark_dirty(session: Session, kind: str, key: int) -> None:
    """Mark one page's data changed, in the caller's transaction (one statement, no flush)."""
    session.execute(_upsert(session.get_bind().dialect.name, kind, key))


@event.listens_for(BranchRef, "after_insert")
def _branch_ref_added(_mapper: object, connection: Connection, target: BranchRef) -> None:
    """A push recorded in the branch history changes its package's page (same flush)."""
    connection.execute(_upsert(connection.dialect.name, "package", target.package_id))


def mark_many(connection: Connection, kind: str, keys: Iterable[int]) -> None:
    """Mark each key of ``keys`` (ints; others ignored) from a mapper listener, in sorted
    order (concurrent transactions then lock the rows in the same order)."""
    for key in sorted({k for k in keys if type(k) is int}):
        connection.execute(_upsert(connection.dialect.name, kind, key))


def pending(session: Session) -> tuple[DirtyRow, ...]:
    """Every row marked and not yet rendered: one query (the renderer's first read)."""
    query = select(SiteDirty.kind, SiteDirty.key, SiteDirty.generation).order_by(
        SiteDirty.kind, SiteDirty.key
    )
    return tuple(DirtyRow(*row) for row in session.execute(query))


def clear(session_factory: sessionmaker[Session], rows: Iterable[DirtyRow]) -> int:
    """Delete the rows a render covered, each only at the generation it read; own transaction."""
    rows = list(rows)
    if not rows:
        return 0
    deleted = 0
    table = SiteDirty.__table__
    with session_factory.begin() as session:
        for start in range(0, len(rows), _CLEAR_BATCH):
            batch = rows[start : start + _CLEAR_BATCH]
            match = tuple_(table.c.kind, table.c.key, table.c.generation).in_(
                [(r.kind, r.key, r.generation) for r in batch]
            )
            deleted += session.execute(delete(table).where(match)).rowcount or 0
    return deleted


# Listeners on other aggregates' tables: imported last, they use what is defined above.
from models import site_dirty_listeners  # noqa: E402, F401
