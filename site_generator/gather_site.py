"""Phase 1 as ``render_site`` runs it: the index part once, then package data in chunks.

The whole history never sits in memory at once (23,000 packages, 250,000
builds, their traces): the index pages need every package but only the
builds they list (each package's latest, everything in flight, everything
that changed in the last ``recent_days``) plus counts the database makes,
and each package page needs its own builds, traces and pushes, read for a
chunk of packages at a time in three queries. The number of queries grows
with packages / ``CHUNK``, never per package or per build.

Reads go through a ``Reader``: one read-only snapshot for the render's index
part (and for all of it when it runs in one process). The renderer reads the
dirty rows first, so a page read later, even from a later snapshot (the
workers of a parallel full render take their own), is never older than the
marks it clears: anything that changes after that is marked again and
rendered by the next run (``models.site_dirty``).
"""

from __future__ import annotations

import weakref
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, create_engine, event, func, or_, select, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from models import BranchRef, Build, BuildTransition, Package
from models.site_dirty import DirtyRow, pending
from site_generator.gather import (
    BRANCH_REF_ORDER,
    BUILD_ORDER,
    TRANSITION_ORDER,
    BranchRefRow,
    BuildRow,
    Gathered,
    PackageRow,
    TransitionRow,
    counters,
    last_processed,
    recent_rejected,
)
from site_generator.gather_extras import package_extras
from site_generator.gather_modules import ModulesGathered, gather_modules
from site_generator.gather_pipeline import gather_pipeline
from site_generator.known_packages import every_package
from site_generator.package_index import page_key
from site_generator.views import IN_FLIGHT

CHUNK = 1000  # packages per chunk of package pages
NO_MODULES = ModulesGathered((), (), ())


def read_engine(bind: Engine) -> Engine:
    """The engine a render reads through: ``bind`` itself, or on SQLite a reader of its own.

    ``conveyor.db`` starts every SQLite transaction with ``BEGIN IMMEDIATE`` (the
    write lock), right for consumers, wrong for a render that reads for a minute.
    This engine begins with a plain (deferred) ``BEGIN`` and is ``query_only``: in
    WAL mode its snapshot blocks no writer.
    """
    if bind.dialect.name != "sqlite":
        return bind
    engine = create_engine(bind.url, poolclass=NullPool, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's BEGIN below rules
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine


# bind -> its reader engine (NullPool: it holds no connection between renders).
_READ_ENGINES: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


class Reader:
    """One render's reads: one read-only snapshot, opened at the first read, until ``close()``.

    PostgreSQL: REPEATABLE READ, READ ONLY. SQLite: a deferred transaction on
    ``read_engine`` (WAL: writers go on meanwhile).
    """

    def __init__(self, engine: Engine, *, own: bool = False) -> None:
        self._engine = engine
        self._own = own  # an engine made for this reader: disposed by close()
        self._session: Session | None = None

    @classmethod
    def of(cls, session_factory: sessionmaker[Session]) -> Reader:
        """A reader through ``session_factory``'s engine, or its SQLite reader engine.

        The reader engine is made once per bind and kept while the bind lives: an
        engine's compiled-statement cache is its own, and compiling the render's
        ~40 statements again was ~0.15 s of every incremental render in cron.
        """
        bind = session_factory.kw["bind"]
        engine = _READ_ENGINES.get(bind)
        if engine is None:
            engine = _READ_ENGINES[bind] = read_engine(bind)
        return cls(engine)

    @contextmanager
    def read(self) -> Iterator[Session]:
        if self._session is None:
            self._session = Session(self._engine)
            if self._engine.dialect.name == "postgresql":
                self._session.execute(
                    text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                )
        yield self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.rollback()
            self._session.close()
            self._session = None
        if self._own:
            self._engine.dispose()


@dataclass(frozen=True)
class IndexGathered:
    """What every index page needs. ``data.builds`` holds only the builds they list."""

    data: Gathered  # every package; no traces, no branch history
    build_states: dict[str, int]  # builds by state, over all builds
    # The packages index pages whose packages' latest builds ``data.builds`` holds
    # (None: every package's).
    index_pages: frozenset[str] | None = None


def _select(
    session: Session, row_type: type, columns: Sequence[Any], where: ColumnElement[bool], order
) -> tuple:
    query = select(*columns).where(where).order_by(*order)
    # Core execution: plain column rows need none of the ORM's result handling,
    # which was a third of reading a chunk's builds, traces and pushes.
    return tuple(row_type(*row) for row in session.connection().execute(query))


def _columns(row_type: type, model: Any) -> list[Any]:
    return [getattr(model, f.name) for f in fields(row_type)]


def dirty(reader: Reader) -> tuple[DirtyRow, ...]:
    with reader.read() as session:
        return pending(session)


def index(
    reader: Reader,
    cutoff: datetime,
    composes: Collection[int] | None = None,
    index_pages: Collection[str] | None = None,
    module_details: Collection[int] | None = None,
) -> IndexGathered:
    """Packages, the builds the index pages list, counts, modules, chains, composes.

    A fixed number of queries (8 + module extras + gather_pipeline's nine).

    ``cutoff`` is naive UTC, as stored: builds updated at or after it are recent.
    ``composes``: the composes whose pages this render writes (None: all of them).
    ``index_pages``: the packages index pages (``package_index.page_key``) this
    render writes: only their packages' latest builds are read (None: every
    package's; at Fedora scale ranking all 250,000 builds is most of this read).
    ``module_details``: the module builds whose pages this render writes: only
    their components and traces are read (None: all; see ``gather_modules``).
    """
    newest = (
        func.row_number().over(partition_by=Build.package_id, order_by=BUILD_ORDER).label("newest")
    )
    with reader.read() as session:
        every = every_package(session)  # cached in a long-lived process (known_packages)
        ranked_builds = select(Build.id, newest)
        if index_pages is not None:
            ids = [p.id for p in every if page_key(p.name) in index_pages]
            ranked_builds = ranked_builds.where(Build.package_id.in_(ids))
        ranked = ranked_builds.subquery()
        latest = select(ranked.c.id).where(ranked.c.newest == 1)
        listed = or_(
            Build.state.in_(sorted(IN_FLIGHT)), Build.updated_at >= cutoff, Build.id.in_(latest)
        )
        rejected_count, outbox_pending = counters(session)
        states = session.execute(select(Build.state, func.count()).group_by(Build.state))
        build_states = {state: count for state, count in states}
        data = Gathered(
            packages=every,
            builds=_select(session, BuildRow, _columns(BuildRow, Build), listed, BUILD_ORDER),
            transitions=(),
            branch_refs=(),
            rejected_count=rejected_count,
            rejected_recent=recent_rejected(session),
            outbox_pending=outbox_pending,
            last_processed=last_processed(session),
            modules=gather_modules(session, module_details),
            pipeline=gather_pipeline(session, composes),
        )
    pages = None if index_pages is None else frozenset(index_pages)
    return IndexGathered(data, build_states, pages)


def package_names(reader: Reader, ids: Collection[int]) -> tuple[PackageRow, ...]:
    """The packages ``ids`` (one query; none when ``ids`` is empty)."""
    if not ids:
        return ()
    with reader.read() as session:
        rows = session.execute(
            select(Package.id, Package.namespace, Package.name).where(Package.id.in_(sorted(ids)))
        )
        return tuple(PackageRow(*row) for row in rows)


def details(reader: Reader, chunk: Sequence[PackageRow], *, by_range: bool) -> Gathered:
    """Builds, traces, pushes of ``chunk``'s packages (sorted by id), and their extras.

    Three queries, plus four for CI, composes and module streams (gather_extras).

    ``by_range``: select by the id range from the chunk's first to its last
    package (a slice of all packages by id: no long parameter list); rows of
    packages in that range but not in ``chunk`` are ignored by the contexts.
    Otherwise the ids are listed.
    """
    ids = [p.id for p in chunk]
    if not ids:
        return Gathered((), (), (), (), 0, (), 0, (), NO_MODULES)

    def of(column: Any) -> ColumnElement[bool]:
        return column.between(ids[0], ids[-1]) if by_range else column.in_(ids)

    trace_columns = _columns(TransitionRow, BuildTransition)
    with reader.read() as session:
        builds = _select(
            session, BuildRow, _columns(BuildRow, Build), of(Build.package_id), BUILD_ORDER
        )
        transitions = tuple(
            TransitionRow(*row)
            for row in session.connection().execute(
                select(*trace_columns)
                .join(Build, Build.id == BuildTransition.build_id)
                .where(of(Build.package_id))
                .order_by(*TRANSITION_ORDER)
            )
        )
        refs = _select(
            session,
            BranchRefRow,
            _columns(BranchRefRow, BranchRef),
            of(BranchRef.package_id),
            BRANCH_REF_ORDER,
        )
        extras = package_extras(session, of)
    return Gathered(
        tuple(chunk), builds, transitions, refs, 0, (), 0, (), NO_MODULES, extras=extras
    )


def chunks(rows: Sequence[PackageRow], size: int | None = None) -> Iterator[list[PackageRow]]:
    """``rows`` sorted by id, ``size`` (default ``CHUNK``) at a time."""
    size = size or CHUNK
    ordered = sorted(rows, key=lambda p: p.id)
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]
