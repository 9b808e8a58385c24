"""Rebuild chain planning: time per plan on the F29 module graph and on a generated
25,000-stream graph with Fedora-like fan-out, next to a plain breadth-first traversal
of the same graph from the same change, measured in the same run.

    .venv/bin/python -m bench.rebuild_plan [--nodes 25000] [--repeat 21] [--seed 29]

The planner does more than the traversal (longest path for the deepest tier, cycle
detection, sorted tiers), so the ratio says what that costs. Target: <= 100 ms a plan.
No broker or database: the graph is built in memory (``DepGraph.from_definitions`` for
F29, ``DepGraph.from_edges`` for the generated one), as the consumers hold it per message.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from conveyor.chain_plan import ChainPlan, plan_for_component, plan_for_module
from conveyor.deps import DepGraph
from conveyor.deps.load import LoadReport, definitions

F29 = (
    Path(__file__).resolve().parent.parent
    / "tests/data/modulemd/libmodulemd__modulemd__tests__test_data__f29.yaml"
)


def f29_graph() -> DepGraph:
    found = definitions(F29.read_text(encoding="utf-8"), "f29", LoadReport())
    return DepGraph.from_definitions([d for d, _ in found])


def generated_graph(nodes: int, seed: int) -> DepGraph:
    """Streams in order of creation; each buildrequires the platform and 0-4 earlier streams,
    picked with preferential attachment (a few libraries/runtimes are buildrequired by many,
    most by none: Fedora's shape). Components: 3-20 rpms each from a pool, plus one "bottom"
    rpm included (at rawhide) by 1 stream in 50."""
    rng = random.Random(seed)
    names = [f"m{i}:s{i % 3}" for i in range(nodes)]
    edges: list[tuple[str, str, str]] = []
    weights: list[str] = []  # a stream appears once per time it was picked, plus once
    components: dict[str, dict[str, str]] = {}
    for index, ns in enumerate(names):
        edges.append((ns, "buildrequires", "platform:f99"))
        if weights:
            picks = {rng.choice(weights) for _ in range(rng.choice((0, 1, 1, 2, 3, 4)))}
            for target in sorted(picks):
                edges.append((ns, "buildrequires", target))
                weights.append(target)
        if index < nodes // 4:  # the older quarter can be buildrequired at all
            weights.append(ns)
        rpms = {f"rpm{rng.randrange(nodes * 2)}": "rawhide" for _ in range(rng.randint(3, 20))}
        if rng.random() < 0.02:
            rpms["bottom"] = "rawhide"
        components[ns] = rpms
    return DepGraph.from_edges(edges, defined=names, components=components)


def bfs(graph: DepGraph, seeds: list[str]) -> int:
    """The plain traversal: every stream reachable along "is buildrequired by"."""
    seen = set(seeds)
    queue = deque(seeds)
    while queue:
        for child in graph.buildrequired_by(queue.popleft()):
            if child not in seen:
                seen.add(child)
                queue.append(child)
    return len(seen)


def timed(work: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """Median and minimum (the minimum is the cost without other processes' interference)."""
    samples, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), min(samples), result


def report(label: str, graph: DepGraph, plan: Callable[[], ChainPlan], seeds: list[str],
           repeat: int) -> None:  # fmt: skip
    plan_s, plan_min, found = timed(plan, repeat)
    bfs_s, bfs_min, reached = timed(lambda: bfs(graph, seeds), repeat)
    assert isinstance(found, ChainPlan)
    print(f"{label}: {len(found.modules)} streams in {len(found.tiers)} tiers, "
          f"{len(found.cycles)} cycles; BFS reaches {reached}")  # fmt: skip
    print(f"  plan {plan_s * 1000:.2f} ms (median of {repeat}), BFS {bfs_s * 1000:.2f} ms, "
          f"plan/BFS {plan_s / bfs_s:.1f}x, target <= 100 ms: "
          f"{'met' if plan_s <= 0.1 else 'NOT met'}")  # fmt: skip
    print(f"  minimum: plan {plan_min * 1000:.2f} ms, BFS {bfs_min * 1000:.2f} ms, "
          f"plan/BFS {plan_min / bfs_min:.1f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=25_000)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--seed", type=int, default=29)
    args = parser.parse_args()

    started = time.perf_counter()
    f29 = f29_graph()
    print(f"F29 graph: {len(f29.nodes)} nodes, built in {time.perf_counter() - started:.2f} s")
    report("F29 platform:f29 rebuilt", f29, lambda: plan_for_module(f29, "platform:f29"),
           sorted(f29.buildrequired_by("platform:f29")), args.repeat)  # fmt: skip
    perl = [ns for ns, ref in f29.including("perl").items() if ref == "f28"]
    report("F29 rpms/perl pushed on f28", f29, lambda: plan_for_component(f29, "perl", "f28"),
           perl, args.repeat)  # fmt: skip

    started = time.perf_counter()
    big = generated_graph(args.nodes, args.seed)
    print(f"generated graph: {len(big.nodes)} nodes, built in "
          f"{time.perf_counter() - started:.2f} s (seed {args.seed})")  # fmt: skip
    report("generated platform:f99 rebuilt", big, lambda: plan_for_module(big, "platform:f99"),
           sorted(big.buildrequired_by("platform:f99")), args.repeat)  # fmt: skip
    bottom = sorted(big.including("bottom"))
    report("generated rpms/bottom pushed on rawhide", big,
           lambda: plan_for_component(big, "bottom", "rawhide"), bottom, args.repeat)  # fmt: skip


if __name__ == "__main__":
    main()
