"""Plan a rebuild chain: which module streams to rebuild, in which tier. Pure: no database.

Tier 1 holds the streams that include the changed rpm by the pushed branch
(branch pinning) or that buildrequire the rebuilt module; tier N+1 those that
buildrequire a module of tier N. A stream appears once, in its deepest tier
(the longest path from the change), so it is built after everything it
buildrequires in the chain. Cycles are reported and broken (the edge closing
the cycle in a depth-first walk is dropped), never looped on.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol


class ModuleGraph(Protocol):
    """What the planner needs of the module knower (conveyor.deps.DepGraph)."""

    def buildrequired_by(self, ns: str) -> frozenset[str]: ...

    def including(self, rpm_name: str) -> dict[str, str]: ...


@dataclass(frozen=True)
class ChainPlan:
    trigger: str  # "rpms/<name>@<branch>" or "name:stream"
    tiers: tuple[tuple[str, ...], ...]  # tier 1 first, each sorted "name:stream"
    cycles: tuple[tuple[str, ...], ...] = ()  # each sorted; broken, not followed

    @property
    def modules(self) -> tuple[str, ...]:
        return tuple(ns for tier in self.tiers for ns in tier)

    def to_json(self) -> dict:
        return {
            "trigger": self.trigger,
            "tiers": [list(t) for t in self.tiers],
            "cycles": [list(c) for c in self.cycles],
            "modules": len(self.modules),
        }

    def to_text(self) -> str:
        lines = [f"rebuild chain for {self.trigger}: {len(self.modules)} module streams, "
                 f"{len(self.tiers)} tiers"]  # fmt: skip
        for number, tier in enumerate(self.tiers, start=1):
            lines.append(f"tier {number}: {' '.join(tier)}")
        lines.extend(f"cycle (broken): {' -> '.join(c)}" for c in self.cycles)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def dumps(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True)


def plan_for_component(
    graph: ModuleGraph,
    name: str,
    branch: str,
    *,
    default_ref: str = "rawhide",
    eligible: Container[str] | None = None,
) -> ChainPlan:
    """The chain after a push of rpms/<name> on ``branch``: streams pinned to that branch
    (of those, only the ``eligible`` ones start tier 1, when given)."""
    seeds = [
        ns
        for ns, ref in graph.including(name).items()
        if (ref or default_ref) == branch and (eligible is None or ns in eligible)
    ]
    return _plan(graph, f"rpms/{name}@{branch}", seeds, exclude=None)


def plan_for_module(graph: ModuleGraph, ns: str) -> ChainPlan:
    """The chain after a new build of module stream ``ns``: everything that buildrequires it."""
    return _plan(graph, ns, graph.buildrequired_by(ns), exclude=ns)


def _plan(graph: ModuleGraph, trigger: str, seeds: Iterable[str], exclude: str | None) -> ChainPlan:
    starts = sorted(set(seeds) - {exclude})
    children, indegree = _reachable(graph, starts, exclude)
    depth, ordered = _longest_paths(starts, children, indegree)
    cycles: set[tuple[str, ...]] = set()
    if ordered < len(children):  # Kahn's order stalls only on a cycle: find and break them
        acyclic, cycles = _walk(children, starts)
        depth, _ = _longest_paths(starts, acyclic, _indegree(acyclic))
    by_tier: dict[int, list[str]] = {}
    for ns, tier in depth.items():
        by_tier.setdefault(tier, []).append(ns)
    tiers = tuple(tuple(sorted(by_tier[t])) for t in sorted(by_tier))
    return ChainPlan(trigger, tiers, tuple(sorted(cycles)))


def _reachable(
    graph: ModuleGraph, starts: list[str], exclude: str | None
) -> tuple[dict[str, frozenset[str]], dict[str, int]]:
    """Every stream reachable along "is buildrequired by", with its children and how many
    edges reach it (breadth first; one pass, as the planner runs per push)."""
    children: dict[str, frozenset[str]] = {}
    indegree = dict.fromkeys(starts, 0)
    queue = deque(starts)
    buildrequired_by, pop, push = graph.buildrequired_by, queue.popleft, queue.append
    while queue:
        ns = pop()
        kids = buildrequired_by(ns)
        if ns in kids or exclude in kids:
            kids = kids - {ns, exclude}
        children[ns] = kids
        for kid in kids:
            if kid in indegree:
                indegree[kid] += 1
            else:
                indegree[kid] = 1
                push(kid)
    return children, indegree


def _indegree(edges: Mapping[str, Iterable[str]]) -> dict[str, int]:
    indegree = dict.fromkeys(edges, 0)
    for kids in edges.values():
        for kid in kids:
            indegree[kid] += 1
    return indegree


def _walk(
    children: Mapping[str, Iterable[str]], starts: list[str]
) -> tuple[dict[str, list[str]], set[tuple[str, ...]]]:
    """Depth-first from the seeds (sorted, so the same edges break every time); drop the
    edges closing cycles.

    Iterative (Fedora-size graphs are deeper than Python's recursion limit allows in the
    worst case); ``on_path`` is the current walk, so an edge into it closes a cycle.
    """
    edges: dict[str, list[str]] = {}
    cycles: set[tuple[str, ...]] = set()
    visited: set[str] = set()
    for start in starts:
        if start in visited:
            continue
        visited.add(start)
        path, on_path = [start], {start}
        stack = [iter(sorted(children[start]))]
        edges[start] = []
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                on_path.discard(path.pop())
                continue
            parent = path[-1]
            if child in on_path:
                cycles.add(tuple(sorted(path[path.index(child) :])))
                continue
            edges[parent].append(child)
            if child not in visited:
                visited.add(child)
                edges[child] = []
                path.append(child)
                on_path.add(child)
                stack.append(iter(sorted(children[child])))
    return edges, cycles


def _longest_paths(
    starts: list[str], edges: Mapping[str, Iterable[str]], indegree: dict[str, int]
) -> tuple[dict[str, int], int]:
    """Tier = 1 + the longest path from a seed, in Kahn's order (``indegree`` is used up);
    also how many streams that order reached (fewer than all: a cycle)."""
    depth = dict.fromkeys(edges, 1)
    ready = [ns for ns in starts if indegree[ns] == 0]
    ordered = 0
    while ready:
        ns = ready.pop()
        ordered += 1
        below = depth[ns] + 1
        for kid in edges[ns]:
            if depth[kid] < below:
                depth[kid] = below
            left = indegree[kid] - 1
            indegree[kid] = left
            if not left:
                ready.append(kid)
    return depth, ordered
