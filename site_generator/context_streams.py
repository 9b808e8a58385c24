"""Phase 2 for module stream pages: the streams index and one page per defined stream.

Every answer comes from the one graph ``gather_streams`` loaded. Lists of
``name:stream`` are sorted strings, as ``conveyor deps`` prints them; the
links the HTML puts on them live in an HTML-only map, so the JSON twin stays
the CLI's plain answer. A stream whose name or stream is not safe as a file
name is listed, unlinked, and gets no page (logged).

Transitive answers are bounded: on a deep graph (each stream buildrequiring
the previous few) every page would list most of the graph, and the pages
together grow with the square of the streams. The JSON twin keeps each
transitive list's first ``JSON_LIMIT`` streams (sorted, so still the CLI's
order), with the total and ``truncated``; the HTML lists the first
``HTML_LIMIT`` and names the ``conveyor deps ... --json`` command that prints
them all. Direct lists stay whole: together they are as big as the graph's
edges, not its square.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Collection, Iterable, Mapping, Set
from dataclasses import dataclass, field
from datetime import datetime

from conveyor.deps.definition import split_ns
from conveyor.deps.graph import DepGraph
from site_generator.gather_streams import StreamsGathered
from site_generator.paths import module_build_hrefs, package_hrefs, stream_hrefs
from site_generator.views import HTML_ONLY, utc

log = logging.getLogger(__name__)
HTML_LIMIT = 200  # transitive streams a stream's HTML page lists, per list
JSON_LIMIT = 1_000  # and its JSON twin (Fedora's whole graph is about this size)


@dataclass(frozen=True)
class StreamSummaryView:
    ns: str
    name: str
    stream: str
    defined: bool  # False: only depended upon, no definition recorded
    href: str | None
    api_href: str | None
    eol: str | None  # ISO date
    requires: int  # direct
    buildrequires: int
    dependants: int
    newest_module_build_id: int | None
    newest_module_build_href: str | None


@dataclass(frozen=True)
class ComponentView:
    rpm: str
    ref: str
    href: str | None  # the package page of rpms/<rpm>, when it exists


@dataclass(frozen=True)
class ServiceLevelView:
    name: str
    eol: str | None  # ISO date; None: no end announced


@dataclass(frozen=True)
class SourceView:
    source_kind: str
    source: str  # a commit or a file's digest
    origin: str  # repository URL or file path
    recorded_at: datetime
    older_definitions: int


@dataclass(frozen=True)
class TransitiveCounts:
    """How many streams each transitive answer has, listed in full or not."""

    requires: int
    buildrequires: int
    dependants: int


@dataclass(frozen=True)
class StreamContext:
    generated_at: datetime
    stream: StreamSummaryView
    requires: tuple[str, ...]
    requires_transitive: tuple[str, ...]  # sorted, the first JSON_LIMIT
    buildrequires: tuple[str, ...]
    buildrequires_transitive: tuple[str, ...]
    dependants: tuple[str, ...]
    dependants_transitive: tuple[str, ...]
    transitive_counts: TransitiveCounts
    truncated: bool  # some transitive list holds only its first JSON_LIMIT streams
    components: tuple[ComponentView, ...]  # by rpm
    servicelevels: tuple[ServiceLevelView, ...]  # by name
    source: SourceView | None
    unresolved: tuple[str, ...]  # modules whose stream list matched no known stream
    cycles: tuple[tuple[str, ...], ...]  # the cycles this stream is part of
    hrefs: Mapping[str, str] = field(metadata=HTML_ONLY)  # ns -> stream page, when it has one
    html_limit: int = field(default=HTML_LIMIT, metadata=HTML_ONLY)


@dataclass(frozen=True)
class StreamsContext:
    generated_at: datetime
    defined_count: int
    streams: tuple[StreamSummaryView, ...]  # by name, then stream
    cycles: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class StreamsSite:
    index: StreamsContext
    pages: tuple[StreamContext, ...]
    hrefs: Mapping[str, str]  # ns -> stream page, for streams that have one


def _hrefs(graph: DepGraph, ns: str) -> tuple[str, str] | None:
    if not graph.is_defined(ns):
        return None
    name, stream = split_ns(ns)
    hrefs = stream_hrefs(name, stream)
    if hrefs is None:
        log.warning("site: module stream %r is not safe as a file name: no page", ns)
    return hrefs


def _summary(data: StreamsGathered, ns: str, hrefs: tuple[str, str] | None) -> StreamSummaryView:
    graph = data.graph
    name, stream = split_ns(ns)
    eol = graph.eol(ns)
    newest = data.newest_builds.get(ns)
    build_hrefs = None if newest is None else module_build_hrefs(newest)
    return StreamSummaryView(
        ns=ns,
        name=name,
        stream=stream,
        defined=graph.is_defined(ns),
        href=None if hrefs is None else hrefs[0],
        api_href=None if hrefs is None else hrefs[1],
        eol=None if eol is None else eol.isoformat(),
        requires=len(graph.requires(ns, direct=True)),
        buildrequires=len(graph.buildrequires(ns, direct=True)),
        dependants=len(graph.dependants(ns, direct=True)),
        newest_module_build_id=newest,
        newest_module_build_href=None if build_hrefs is None else build_hrefs[0],
    )


def _components(data: StreamsGathered, ns: str) -> tuple[ComponentView, ...]:
    views = []
    for rpm, ref in sorted(data.graph.components(ns).items()):
        hrefs = package_hrefs("rpms", rpm) if rpm in data.rpm_pages else None
        views.append(ComponentView(rpm, ref, None if hrefs is None else hrefs[0]))
    return tuple(views)


def _source(data: StreamsGathered, ns: str) -> SourceView | None:
    row = data.sources.get(ns)
    if row is None:
        return None
    return SourceView(
        row.source_kind, row.source, row.origin, utc(row.recorded_at), row.definitions - 1
    )


def first(streams: Set[str], limit: int = JSON_LIMIT) -> tuple[str, ...]:
    """The first ``limit`` of ``streams`` in sorted order (without sorting them all)."""
    if len(streams) <= limit:
        return tuple(sorted(streams))
    return tuple(heapq.nsmallest(limit, streams))


def _page(
    data: StreamsGathered,
    view: StreamSummaryView,
    cycles: Iterable[tuple[str, ...]],
    links: Mapping[str, str],
    now: datetime,
) -> StreamContext:
    graph, ns = data.graph, view.ns
    levels = sorted(graph.servicelevels(ns).items())
    requires, buildrequires = graph.requires(ns), graph.buildrequires(ns)
    dependants = graph.dependants(ns)
    counts = TransitiveCounts(len(requires), len(buildrequires), len(dependants))
    return StreamContext(
        generated_at=now,
        stream=view,
        requires=tuple(sorted(graph.requires(ns, direct=True))),
        requires_transitive=first(requires),
        buildrequires=tuple(sorted(graph.buildrequires(ns, direct=True))),
        buildrequires_transitive=first(buildrequires),
        dependants=tuple(sorted(graph.dependants(ns, direct=True))),
        dependants_transitive=first(dependants),
        transitive_counts=counts,
        truncated=max(counts.requires, counts.buildrequires, counts.dependants) > JSON_LIMIT,
        components=_components(data, ns),
        servicelevels=tuple(ServiceLevelView(n, e) for n, e in levels),
        source=_source(data, ns),
        unresolved=tuple(sorted(graph.unresolved(ns))),
        cycles=tuple(c for c in cycles if ns in c),
        hrefs=links,
    )


def build_streams(
    data: StreamsGathered, *, now: datetime, only: Collection[str] | None = None
) -> StreamsSite:
    """Every known stream for the index, a page context per defined stream with a safe name
    (``only``: just for these ``name:stream``)."""
    now = utc(now)
    graph = data.graph
    nodes = sorted(graph.nodes, key=lambda ns: split_ns(ns))
    paths = {ns: _hrefs(graph, ns) for ns in nodes}
    links = {ns: p[0] for ns, p in paths.items() if p is not None}
    views = tuple(_summary(data, ns, paths[ns]) for ns in nodes)
    cycles = tuple(tuple(c) for c in graph.cycles())
    wanted = [v for v in views if v.href is not None and (only is None or v.ns in only)]
    pages = tuple(_page(data, v, cycles, links, now) for v in wanted)
    defined = sum(v.defined for v in views)
    return StreamsSite(StreamsContext(now, defined, views, cycles), pages, links)
