"""The module dependency graph in memory: built once, then every query is a dict lookup.

Nodes are ``name:stream`` strings. Edges point from a module stream to what it
requires or buildrequires, after modulemd v2 stream expansion: an empty stream list
means every known stream of that module, ``-x`` means every known stream but x, and a
stream nobody defines (``platform:f29``) is still a node. The known streams of a module
are those defined plus those some dependency names explicitly.

Several dependency blocks (v2 alternatives, or merged contexts) are united: any of
them may be the one a build uses. Traversals keep a visited set, so cyclic input ends
and ``cycles()`` reports the cycles instead.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from conveyor.deps.cycles import strongly_connected
from conveyor.deps.definition import (
    KINDS,
    Dependency,
    StreamDefinition,
    UnknownModuleStream,
    split_ns,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_NONE: frozenset[str] = frozenset()
# The modulemd spec's default when a component names no ref; deployments set their own.
DEFAULT_REF = "master"


class DepGraph:
    """Forward and reverse edges per kind, components per stream and per rpm, EOL data.

    The documented plain-data constructor is ``DepGraph.from_edges`` (no database);
    ``from_definitions`` expands modulemd stream lists; ``load`` reads the current
    definitions from the database.
    """

    def __init__(
        self,
        edges: Mapping[str, Mapping[str, Iterable[str]]],
        *,
        defined: Iterable[str] = (),
        components: Mapping[str, Mapping[str, str]] | None = None,
        definitions: Mapping[str, StreamDefinition] | None = None,
    ):
        self._out = {kind: _freeze(edges.get(kind, {})) for kind in KINDS}
        self._in = {kind: _reverse(self._out[kind]) for kind in KINDS}
        self._defined = frozenset(defined)
        self._components = {ns: dict(refs) for ns, refs in (components or {}).items()}
        self._including: dict[str, dict[str, str]] = {}
        for ns, refs in self._components.items():
            for rpm, ref in refs.items():
                self._including.setdefault(rpm, {})[ns] = ref
        self._definitions = dict(definitions or {})
        # ns -> modules it depends on by "any stream" (or exclusions) when none is known
        self._unresolved: dict[str, frozenset[str]] = {}
        nodes = set(self._defined) | set(self._components)
        for table in self._out.values():
            for ns, targets in table.items():
                nodes.add(ns)
                nodes.update(targets)
        self._nodes = frozenset(nodes)
        self._streams: dict[str, list[str]] = {}
        for ns in sorted(self._nodes):
            name, stream = split_ns(ns)
            self._streams.setdefault(name, []).append(stream)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_edges(
        cls,
        edges: Iterable[tuple[str, str, str]],
        *,
        defined: Iterable[str] = (),
        components: Mapping[str, Mapping[str, str]] | None = None,
    ) -> DepGraph:
        """From expanded edges ``(from_ns, kind, to_ns)``, kind buildrequires|requires.

        This is the constructor for generated graphs (benchmarks): no database, no
        stream expansion; ``defined`` lists streams that have no edges at all.
        """
        table: dict[str, dict[str, set[str]]] = {kind: {} for kind in KINDS}
        for source, kind, target in edges:
            if kind not in table:
                raise ValueError(f"edge kind {kind!r} is not one of {', '.join(KINDS)}")
            table[kind].setdefault(source, set()).add(target)
        return cls(table, defined=defined, components=components)

    @classmethod
    def from_definitions(
        cls, definitions: Iterable[StreamDefinition], *, default_ref: str = DEFAULT_REF
    ) -> DepGraph:
        """From module stream definitions, expanding their stream lists (modulemd v2)."""
        by_ns = {d.ns: d for d in definitions}
        known = _known_streams(by_ns.values())
        table: dict[str, dict[str, set[str]]] = {kind: {} for kind in KINDS}
        unresolved: dict[str, set[str]] = {}
        for ns, definition in by_ns.items():
            for dep in definition.dependencies:
                streams = _expand(dep, known)
                if not streams:
                    unresolved.setdefault(ns, set()).add(dep.module)
                targets = table[dep.kind].setdefault(ns, set())
                targets.update(f"{dep.module}:{s}" for s in streams)
        components = {
            ns: {rpm: ref or default_ref for rpm, ref in d.components.items()}
            for ns, d in by_ns.items()
        }
        graph = cls(table, defined=by_ns, components=components, definitions=by_ns)
        graph._unresolved = {ns: frozenset(m) for ns, m in unresolved.items()}
        return graph

    @classmethod
    def load(cls, session: Session, *, default_ref: str = DEFAULT_REF) -> DepGraph:
        """The graph of the current (newest) definition of every module stream."""
        from conveyor.deps.store import current_definitions

        return cls.from_definitions(current_definitions(session), default_ref=default_ref)

    # -- queries ------------------------------------------------------------------------

    def __contains__(self, ns: object) -> bool:
        return ns in self._nodes

    @property
    def nodes(self) -> frozenset[str]:
        return self._nodes

    def is_defined(self, ns: str) -> bool:
        """True if some definition of ``ns`` was recorded (not only depended upon)."""
        return ns in self._defined

    def requires(self, ns: str, direct: bool = False) -> frozenset[str]:
        """What ``ns`` requires at run time (transitively unless ``direct``)."""
        return self._reach(ns, [self._out["requires"]], direct)

    def buildrequires(self, ns: str, direct: bool = False) -> frozenset[str]:
        """What ``ns`` buildrequires; transitively: what those buildrequire, and so on."""
        return self._reach(ns, [self._out["buildrequires"]], direct)

    def dependants(self, ns: str, direct: bool = False) -> frozenset[str]:
        """Module streams that require or buildrequire ``ns``, transitively unless ``direct``."""
        return self._reach(ns, [self._in["requires"], self._in["buildrequires"]], direct)

    def buildrequired_by(self, ns: str) -> frozenset[str]:
        """Streams that buildrequire ``ns`` directly; O(1), unknown ``ns`` has none."""
        return self._in["buildrequires"].get(ns, _NONE)

    def including(self, rpm_name: str) -> dict[str, str]:
        """``ns -> ref`` of every module stream whose components include ``rpms/<rpm_name>``."""
        return dict(self._including.get(rpm_name, {}))

    def components(self, ns: str) -> dict[str, str]:
        self._check(ns)
        return dict(self._components.get(ns, {}))

    def streams_of(self, name: str) -> tuple[str, ...]:
        """Every known stream of module ``name``, sorted (defined or depended upon)."""
        return tuple(self._streams.get(name, ()))

    def definition(self, ns: str) -> StreamDefinition | None:
        self._check(ns)
        return self._definitions.get(ns)

    def eol(self, ns: str) -> datetime.date | None:
        definition = self.definition(ns)
        return definition.eol if definition else None

    def servicelevels(self, ns: str) -> dict[str, str | None]:
        definition = self.definition(ns)
        return dict(definition.servicelevels) if definition else {}

    def unresolved(self, ns: str) -> frozenset[str]:
        """Modules ``ns`` depends on whose stream list matched no known stream (no edge)."""
        self._check(ns)
        return self._unresolved.get(ns, _NONE)

    def cycles(self) -> list[list[str]]:
        """Every dependency cycle (requires and buildrequires together), each sorted.

        A cycle is a strongly connected component of two or more streams, or one stream
        that depends on itself (e.g. ``X: []`` in X's own dependencies).
        """
        found = []
        for component in strongly_connected(self._nodes, self._successors):
            if len(component) > 1 or component[0] in self._successors(component[0]):
                found.append(sorted(component))
        return sorted(found)

    # -- internals ----------------------------------------------------------------------

    def _check(self, ns: str) -> None:
        if ns not in self._nodes:
            raise UnknownModuleStream(f"unknown module stream {ns!r}")

    def _successors(self, ns: str) -> Iterator[str]:
        for table in self._out.values():
            yield from table.get(ns, _NONE)

    def _reach(
        self, ns: str, tables: list[dict[str, frozenset[str]]], direct: bool
    ) -> frozenset[str]:
        self._check(ns)
        first = set().union(*(t.get(ns, _NONE) for t in tables))
        if direct:
            return frozenset(first - {ns})
        seen = set(first)
        frontier = list(first)
        while frontier:  # the seen set makes cycles end
            current = frontier.pop()
            for table in tables:
                for nxt in table.get(current, _NONE):
                    if nxt not in seen:
                        seen.add(nxt)
                        frontier.append(nxt)
        seen.discard(ns)
        return frozenset(seen)


def _freeze(table: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    return {ns: frozenset(targets) for ns, targets in table.items()}


def _reverse(table: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    reverse: dict[str, set[str]] = {}
    for source, targets in table.items():
        for target in targets:
            reverse.setdefault(target, set()).add(source)
    return _freeze(reverse)


def _known_streams(definitions: Iterable[StreamDefinition]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = {}
    for definition in definitions:
        known.setdefault(definition.name, set()).add(definition.stream)
        for dep in definition.dependencies:
            streams = known.setdefault(dep.module, set())
            streams.update(s for s in dep.streams if not s.startswith("-"))
    return known


def _expand(dep: Dependency, known: Mapping[str, set[str]]) -> set[str]:
    """The streams a dependency matches; the validator forbids mixing x and -x."""
    excluded = {s[1:] for s in dep.streams if s.startswith("-")}
    wanted = {s for s in dep.streams if not s.startswith("-")}
    if wanted:
        return wanted
    return known.get(dep.module, set()) - excluded
