"""Phase 1 for module stream pages: the knower's graph once, plus three queries.

``DepGraph.load`` reads the current definition of every stream (three queries,
whatever the number of streams); every transitive answer a stream page shows is
computed from that graph in memory. Three more queries add what the graph does
not hold: where each current definition came from and how many definitions
the stream has, the newest module build of each stream, and which rpm
components have a package page. Six queries per render, never one per stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conveyor.deps.graph import DEFAULT_REF, DepGraph
from models.module_build import ModuleBuild
from models.module_component_ref import ModuleComponentRef
from models.module_stream import ModuleStreamDefinition
from models.package import Package
from site_generator.gather_pipeline import current_definitions


@dataclass(frozen=True)
class SourceRow:
    """Where a stream's current definition came from, and how many it has had."""

    name: str
    stream: str
    source_kind: str
    source: str
    origin: str
    recorded_at: datetime
    definitions: int  # the current one included


@dataclass(frozen=True)
class StreamsGathered:
    graph: DepGraph
    sources: dict[str, SourceRow] = field(default_factory=dict)  # ns -> its current source
    newest_builds: dict[str, int] = field(default_factory=dict)  # ns -> newest module build id
    rpm_pages: frozenset[str] = frozenset()  # rpm names with a package (rpms/<name>)


def _sources(session: Session) -> dict[str, SourceRow]:
    d = ModuleStreamDefinition
    per_stream = (
        select(d.name, d.stream, func.max(d.id).label("newest"), func.count().label("n"))
        .group_by(d.name, d.stream)
        .subquery()
    )
    query = select(
        d.name, d.stream, d.source_kind, d.source, d.origin, d.recorded_at, per_stream.c.n
    ).join(per_stream, per_stream.c.newest == d.id)
    return {f"{row.name}:{row.stream}": SourceRow(*row) for row in session.execute(query)}


def _newest_builds(session: Session) -> dict[str, int]:
    m = ModuleBuild
    query = select(m.name, m.stream, func.max(m.id)).group_by(m.name, m.stream)
    return {f"{name}:{stream}": newest for name, stream, newest in session.execute(query)}


def _rpm_pages(session: Session) -> frozenset[str]:
    """The rpm names that current definitions include and that have a package page's row
    (a subquery, not a list of names: thousands of names would exceed SQLite's variables)."""
    included = select(ModuleComponentRef.rpm).where(
        ModuleComponentRef.definition_id.in_(current_definitions())
    )
    query = select(Package.name).where(Package.namespace == "rpms", Package.name.in_(included))
    return frozenset(session.scalars(query))


def gather_streams(session: Session, *, default_ref: str = DEFAULT_REF) -> StreamsGathered:
    graph = DepGraph.load(session, default_ref=default_ref)
    return StreamsGathered(
        graph=graph,
        sources=_sources(session),
        newest_builds=_newest_builds(session),
        rpm_pages=_rpm_pages(session),
    )
