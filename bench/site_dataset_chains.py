"""Rebuild chains for the Fedora-scale dataset: tiers, items and traces in every chain state.

``Scale.chains`` chains (50 by default), newest last, over the module streams
that have module builds (layer 1 of ``site_dataset_streams``): a push to an rpm
that streams include, a module build becoming ready, or a manual start. Tier
1 is what the trigger changes directly, each next tier the streams that
buildrequire the previous one. States: complete (most), failed at a tier,
running, planned, canceled (some superseded by a later chain). Items carry
the module build that rebuilt them, in a state consistent with the item's
(``built_has_build``). Its own ``random.Random`` (seed + 3).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from bench.site_dataset_names import pick_value
from bench.site_dataset_streams import StreamGraph

COLUMNS = {
    "rebuild_chains": ("id", "trigger_kind", "trigger_namespace", "trigger_name",
                       "trigger_branch", "trigger_commit", "trigger_module",
                       "trigger_module_build_id", "requester", "state", "reason", "current_tier",
                       "failed_tier", "superseded_by_id", "module_version", "cycles",
                       "created_at", "updated_at", "completed_at"),
    "chain_items": ("id", "chain_id", "name", "stream", "tier", "module_build_id", "state",
                    "reason", "owner"),
    "chain_transitions": ("id", "chain_id", "item_id", "from_state", "to_state", "cause",
                          "reason", "at"),
}  # fmt: skip
STATES = (("complete", 0.55), ("failed", 0.15), ("canceled", 0.15), ("running", 0.10),
          ("planned", 0.05))  # fmt: skip
TRIGGERS = (("push", 0.6), ("module", 0.3), ("manual", 0.1))
SEED_OFFSET = 3


def _tiers(first: list[str], dependants: dict[str, list[str]]) -> list[list[str]]:
    """Tier 1, then each next tier: streams buildrequiring the previous one, each once."""
    tiers, seen = [sorted(set(first))], set(first)
    while True:
        nxt = sorted({d for ns in tiers[-1] for d in dependants.get(ns, ()) if d not in seen})
        if not nxt or len(tiers) == 6:
            return tiers
        seen.update(nxt)
        tiers.append(nxt)


class _Chains:
    def __init__(self, rng: random.Random, tables: object, graph: StreamGraph):
        self.rng, self.tables = rng, tables
        rows = tables.rows  # type: ignore[attr-defined]
        self.builds: dict[str, list[tuple]] = {}  # ns -> module build rows
        for m in rows.get("module_builds", []):
            self.builds.setdefault(f"{m[1]}:{m[2]}", []).append(m)
        layer1 = set(graph.layer1)
        self.dependants = {
            ns: [d for d in users if d in layer1] for ns, users in graph.dependants().items()
        }
        self.including: dict[str, list[str]] = {}  # rpm -> layer-1 streams building it
        for c in rows.get("component_builds", []):
            m = rows["module_builds"][c[1] - 1]
            self.including.setdefault(c[2], []).append(f"{m[1]}:{m[2]}")
        self.used_triggers: set[int] = set()
        self.item_id = self.transition_id = 0

    def add(self, table: str, row: tuple) -> None:
        self.tables.add(table, row)  # type: ignore[attr-defined]

    def trace(self, chain: int, item: int | None, old: str | None, to: str, at: datetime,
              reason: str = "") -> None:  # fmt: skip
        self.transition_id += 1
        cause = f"msg-x{self.transition_id:x}"
        self.add("chain_transitions", (self.transition_id, chain, item, old, to, cause, reason, at))

    def trigger(self, kind: str) -> tuple[tuple, list[str]]:
        """The trigger columns (namespace .. module build id) and tier 1."""
        rng = self.rng
        if kind == "push":
            rpm = rng.choice(sorted(self.including))
            first = self.including[rpm]
            commit = f"{rng.getrandbits(160):040x}"
            return ("rpms", rpm, rng.choice(("rawhide", "f41")), commit, None, None), first
        with_users = sorted(ns for ns, users in self.dependants.items() if users)
        ns = rng.choice(with_users or sorted(self.builds))
        ready = [m[0] for m in self.builds.get(ns, ()) if m[9] == "ready"]
        ready = [i for i in ready if i not in self.used_triggers]
        if kind == "module" and ready:
            self.used_triggers.add(ready[-1])
            return (None, None, None, None, ns, ready[-1]), self.dependants.get(ns) or [ns]
        return (None, None, None, None, ns, None), [ns]

    def build_for(self, ns: str, wanted: tuple[str, ...]) -> int | None:
        rows = self.builds.get(ns, [])
        fit = [m for m in rows if m[9] in wanted] or rows
        return fit[-1][0] if fit else None


def _item_state(chain_state: str, tier: int, current: int, rng: random.Random) -> str:
    if chain_state == "complete" or tier < current:
        return "passed"
    if chain_state == "planned" or tier > current:
        return "skipped" if chain_state == "canceled" else "waiting"
    if chain_state == "running":
        return rng.choice(("building", "done", "passed"))
    if chain_state == "failed":
        return rng.choice(("failed", "passed"))
    return rng.choice(("skipped", "passed"))  # canceled during this tier


def generate_chains(
    seed: int, count: int, tables: object, graph: StreamGraph, start: datetime, now: datetime
) -> None:
    """Add ``count`` rebuild chains with items and traces to ``tables``."""
    rng = random.Random(seed + SEED_OFFSET)
    chains = _Chains(rng, tables, graph)
    if not chains.builds:
        return
    span = (now - start).total_seconds()
    times = sorted(start + timedelta(seconds=span * rng.random() ** 0.5) for _ in range(count))
    for cid, created in enumerate(times, start=1):
        state = pick_value(rng, STATES)
        trigger, first = chains.trigger(pick_value(rng, TRIGGERS))
        tiers = _tiers(first, chains.dependants)
        _chain(chains, cid, count, state, trigger, tiers, created, now)


def _chain(c: _Chains, cid: int, count: int, state: str, trigger: tuple, tiers: list,
           created: datetime, now: datetime) -> None:  # fmt: skip
    rng = c.rng
    current = {"planned": 0, "complete": len(tiers)}.get(state, rng.randint(1, len(tiers)))
    failed_tier = current if state == "failed" else None
    superseded = cid + 1 if state == "canceled" and cid < count and rng.random() < 0.5 else None
    at = created
    ended = state in ("complete", "failed", "canceled")
    finished = min(now, created + timedelta(hours=rng.uniform(1, 48) * len(tiers)))
    kind = "push" if trigger[0] else ("module" if trigger[5] else "manual")
    reason = {
        "failed": f"tier {current}: a module build failed CI",
        "canceled": "superseded by a newer push" if superseded else "canceled by hand",
    }
    c.add("rebuild_chains", (
        cid, kind, *trigger[:5], trigger[5], f"packager{cid % 17}", state,
        reason.get(state, ""), current, failed_tier, superseded,
        int(created.strftime("%Y%m%d%H%M%S")), json.dumps([]), created,
        finished if ended else at, finished if ended else None,
    ))  # fmt: skip
    c.trace(cid, None, None, "planned", created)
    if state != "planned":
        c.trace(cid, None, "planned", "running", created + timedelta(seconds=5))
    for tier, streams in enumerate(tiers, start=1):
        for ns in streams:
            _item(c, cid, ns, tier, _item_state(state, tier, current, rng), created)
    if ended:
        old = "planned" if state == "canceled" and current == 0 else "running"
        c.trace(cid, None, old, state, finished, reason.get(state, ""))


def _item(c: _Chains, cid: int, ns: str, tier: int, state: str, at: datetime) -> None:
    name, stream = ns.split(":", 1)
    wanted = {"building": ("build", "wait", "init"), "failed": ("failed",)}.get(state, ("ready",))
    build = c.build_for(ns, wanted) if state != "waiting" else None
    if state in ("building", "done", "passed") and build is None:
        state, build = "waiting", None  # nothing built this stream: it waits
    c.item_id += 1
    reason = "CI failed: fedora-ci.redhat-module.tier0.functional" if state == "failed" else ""
    owner = f"packager{len(name) % 13}"
    c.add("chain_items", (c.item_id, cid, name, stream, tier, build, state, reason, owner))
    path = {"building": ["building"], "done": ["building", "done"],
            "passed": ["building", "done", "passed"], "failed": ["building", "failed"],
            "skipped": ["skipped"]}.get(state, [])  # fmt: skip
    old = "waiting"
    for n, to in enumerate(path, start=1):
        c.trace(cid, c.item_id, old, to, at + timedelta(hours=tier, minutes=n), reason)
        old = to
