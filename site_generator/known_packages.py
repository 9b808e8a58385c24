"""Every package's names, kept between renders in a long-lived process (the cron process).

Every render needs all 23,000 packages at Fedora scale (the top index counts
them, chains link them), and reading and converting them was ~0.2 s of each
incremental render. Packages are only ever added, never renamed, so the
process keeps what it read, per reader engine, and each render asks only
whether there is a package with a higher id, in the same one query, which
also counts the table. When there is one (a first push), or the count
disagrees (a package deleted by hand), every package is read again, as a
fresh process does.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from sqlalchemy import Engine, func, literal, select
from sqlalchemy.orm import Session

from models import Package
from site_generator.gather import PackageRow, packages


@dataclass
class _Known:
    rows: tuple[PackageRow, ...]  # as gather.packages read and ordered them
    max_id: int


_KNOWN: weakref.WeakKeyDictionary[Engine, _Known] = weakref.WeakKeyDictionary()


def every_package(session: Session) -> tuple[PackageRow, ...]:
    """``gather.packages(session)``: one query, from the process's cache when it has one."""
    engine = session.get_bind()
    known = _KNOWN.get(engine) if isinstance(engine, Engine) else None
    if known is not None:
        rows = _newer(session, known)
        if rows is not None:
            return rows
    rows = packages(session)
    if isinstance(engine, Engine):
        _KNOWN[engine] = _Known(rows, max((p.id for p in rows), default=0))
    return rows


def _newer(session: Session, known: _Known) -> tuple[PackageRow, ...] | None:
    """The known rows, or None when a package is new or the count disagrees.

    A new package is rare (its first push) and the database's collation orders
    the names (PostgreSQL's locale order is not Python's): read them all then.
    """
    total = select(func.count()).select_from(Package).scalar_subquery()
    one = select(literal(1).label("one")).subquery()
    query = (
        select(total, Package.id)
        .select_from(one)
        .outerjoin(Package, Package.id > known.max_id)
        .limit(1)
    )
    count, newest = session.execute(query).one()
    if newest is not None or count != len(known.rows):
        return None  # a new package (or one deleted by hand): read them all again
    return known.rows
