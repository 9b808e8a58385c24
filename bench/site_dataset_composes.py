"""Composes for the Fedora-scale dataset: ODCS-like sources, states, expiry and contents.

``Scale.composes`` composes (5,000 by default) spread over the history, newest
last, with what ODCS and Conveyor produce:

* sources: ``module`` (half: Conveyor's compose of a module build and its
  runtime dependencies, label ``module-<id>``), ``tag`` (a koji target's tag at
  an event), ``build`` (a list of NVRs); a few composes seen on the bus, from
  ODCS (``odcs``, external id) and Pungi (``pungi_compose``, no contents);
* states by age: what expired is ``removed`` (most of them; some deleted by a
  user before expiry, a few regenerated once), ``failed`` with a reason, the
  last days' ``done`` until ``time_to_expire`` (1 or 3 days), some older ones
  renewed and still ``done``, a handful ``wait``/``generating`` right now;
* contents of every done or removed compose: 5-200 artifacts (rpm rows per
  subpackage and arch, as the local backend writes them; module rows by NSVC)
  naming builds and module builds of the dataset, so package and module pages
  find "composes containing it".

Its own ``random.Random`` (seed + 2), so the older tables do not change.
"""

from __future__ import annotations

import bisect
import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bench.site_dataset_names import pick_value
from bench.site_dataset_streams import StreamGraph

COLUMNS = {
    "composes": ("id", "origin", "external_id", "owner", "source_type", "source", "koji_event",
                 "packages", "arches", "sigkeys", "flags", "results", "label", "compose_type",
                 "release", "warnings", "state", "state_reason", "time_submitted",
                 "time_started", "time_done", "time_removed", "time_to_expire", "removed_by",
                 "reused_id", "result_repo_dir", "result_repo_url", "result_repofile",
                 "updated_at"),
    "compose_contents": ("id", "compose_id", "kind", "artifact", "name", "arch"),
    "compose_transitions": ("id", "compose_id", "from_state", "to_state", "cause", "reason",
                            "at"),
}  # fmt: skip
SOURCE_TYPES = (("module", 0.50), ("tag", 0.30), ("build", 0.20))
ORIGINS = (("conveyor", 0.90), ("odcs", 0.08), ("pungi", 0.02))
ARCHES = ((("x86_64",), 0.4), (("x86_64", "aarch64"), 0.4),
          (("x86_64", "aarch64", "ppc64le", "s390x"), 0.2))  # fmt: skip
FAILURES = (
    "koji build tag f41-build has no repository at event 61234567",
    "module build(s) ['nodejs:20:20240102:c0ffee00'] unknown or without a koji tag",
    "createrepo_c failed: exit status 1", "no RPM of perl-Foo-1.0-1.fc41 is signed with 9867c58f",
    "Compose run failed: Traceback (most recent call last): ... OSError: No space left on device",
)  # fmt: skip
SEED_OFFSET = 2
LIVE = 12  # wait or generating right now
BASE = "https://odcs.fedoraproject.org/composes"
PUNGI = "https://kojipkgs.fedoraproject.org/compose/rawhide"


@dataclass
class _Sources:
    """What composes draw from: built NVRs per koji target (by time), module builds."""

    by_target: dict[str, tuple[list[datetime], list[tuple[str, str]]]]  # times, (nvr, name)
    modules: list[tuple]  # module build rows with a koji tag, by id
    newest_ready: dict[str, tuple]  # ns -> its newest ready module build row
    rpms_of: dict[int, list[tuple[str, str]]]  # module build id -> (nvr, package)

    @classmethod
    def of(cls, rows: dict[str, list[tuple]]) -> _Sources:
        names = {p[0]: p[2] for p in rows["packages"]}
        pairs: dict[str, list[tuple[datetime, str, str]]] = {}
        for b in rows["builds"]:  # id, package_id, branch, commit, target, ..., nvr 12, created 13
            if b[12] is not None:
                pairs.setdefault(b[4], []).append((b[13], b[12], names[b[1]]))
        by_target = {}
        for target, listed in pairs.items():
            listed.sort()
            by_target[target] = ([t for t, _, _ in listed], [(n, p) for _, n, p in listed])
        modules = [m for m in rows.get("module_builds", []) if m[12] is not None]
        newest = {f"{m[1]}:{m[2]}": m for m in modules if m[9] == "ready"}
        rpms: dict[int, list[tuple[str, str]]] = {}
        for c in rows.get("component_builds", []):  # nvr 11, package 2
            if c[11] is not None:
                rpms.setdefault(c[1], []).append((c[11], c[2]))
        return cls(by_target, modules, newest, rpms)


def _nsvc(m: tuple) -> str:
    return f"{m[1]}:{m[2]}:{m[3]}:{m[4]}"


class _Composer:
    def __init__(self, rng: random.Random, tables: object, sources: _Sources, graph: StreamGraph):
        self.rng, self.tables, self.sources, self.graph = rng, tables, sources, graph
        self.content_id = self.transition_id = 0
        stems = ("ovar", "ndrej", "oun", "alt", "iri")
        self.owners = [f"{rng.choice('bcdfhjkmprst')}{rng.choice(stems)}{i}" for i in range(40)]

    def add_contents(self, compose_id: int, rpms: list[tuple[str, str]], arches: tuple) -> None:
        for nvr, name in rpms:
            subpackages = [name, f"{name}-devel"] if self.rng.random() < 0.4 else [name]
            on = ("noarch",) if self.rng.random() < 0.2 else arches
            for rpm in subpackages:
                for arch in on:
                    self.content_id += 1
                    row = (self.content_id, compose_id, "rpm", nvr, rpm, arch)
                    self.tables.add("compose_contents", row)  # type: ignore[attr-defined]

    def add_modules(self, compose_id: int, modules: list[tuple]) -> None:
        for m in modules:
            self.content_id += 1
            row = (self.content_id, compose_id, "module", _nsvc(m), m[1], None)
            self.tables.add("compose_contents", row)  # type: ignore[attr-defined]

    def trace(self, compose_id: int, path: list[tuple[str, datetime, str]]) -> None:
        old = None
        for to, at, reason in path:
            self.transition_id += 1
            cause = "cron" if to == "removed" else f"msg-c{self.transition_id:x}"
            row = (self.transition_id, compose_id, old, to, cause, reason, at)
            self.tables.add("compose_transitions", row)  # type: ignore[attr-defined]
            old = to

    def source(self, kind: str, submitted: datetime) -> tuple[str, list, list, str | None]:
        """(source, rpms, modules, label) for a compose of ``kind`` submitted then."""
        rng = self.rng
        if kind == "module" and self.sources.modules:
            m = rng.choice(self.sources.modules)
            modules = [m]
            for dep in self.graph.requires.get(f"{m[1]}:{m[2]}", ()):
                if (runtime := self.sources.newest_ready.get(dep)) is not None:
                    modules.append(runtime)
            rpms = [r for mod in modules for r in self.sources.rpms_of.get(mod[0], ())][:200]
            return _nsvc(m), rpms, modules, f"module-{m[0]}"
        target = rng.choice(sorted(self.sources.by_target))
        times, builds = self.sources.by_target[target]
        pool = builds[: max(1, bisect.bisect(times, submitted))]
        if kind == "build":
            picked = rng.sample(pool, min(len(pool), rng.randint(5, 30)))
            return " ".join(n for n, _ in picked), picked, [], None
        size = max(5, min(200, int(rng.lognormvariate(3.4, 0.9))))
        picked = rng.sample(pool, min(len(pool), size))
        return target.replace("-candidate", "-build"), picked, [], None


def _life(rng: random.Random, submitted: datetime, now: datetime, live: bool) -> dict:
    """Times and state of a compose submitted at ``submitted`` (ODCS's stamps)."""
    started = submitted + timedelta(seconds=rng.uniform(1, 60))
    if live:
        state = "wait" if rng.random() < 0.4 else "generating"
        return {"state": state, "started": None if state == "wait" else started, "done": None,
                "expire": submitted + timedelta(days=1), "removed": None, "by": None}  # fmt: skip
    done = started + timedelta(seconds=rng.lognormvariate(5.0, 1.0))
    expire = done + timedelta(days=rng.choice((1, 1, 1, 3)))
    if rng.random() < 0.09:
        return {"state": "failed", "started": started, "done": None, "expire": expire,
                "removed": None, "by": None}  # fmt: skip
    if expire > now or rng.random() < 0.12:  # live, or renewed again and again
        expire = max(expire, now + timedelta(hours=rng.uniform(1, 72)))
        return {"state": "done", "started": started, "done": done, "expire": expire,
                "removed": None, "by": None}  # fmt: skip
    deleted = rng.random() < 0.1
    removed = done + (expire - done) * rng.random() if deleted else expire
    return {"state": "removed", "started": started, "done": done, "expire": expire,
            "removed": removed + timedelta(seconds=rng.uniform(1, 300)),
            "by": rng.choice(("releng", "conveyor")) if deleted else None}  # fmt: skip


def _path(life: dict, submitted: datetime, reason: str, regenerated: bool) -> list:
    path = [("wait", submitted, "")]
    if life["started"] is not None:
        path.append(("generating", life["started"], ""))
    if life["state"] == "failed":
        path.append(("failed", life["started"], reason))
    if life["done"] is not None:
        path.append(("done", life["done"], ""))
    if life["removed"] is not None:
        path.append(("removed", life["removed"], "expired" if life["by"] is None else "deleted"))
        if regenerated:  # from the very same koji event, then expired again
            again = life["removed"] + timedelta(days=2)
            later = again + timedelta(days=1)
            path += [("wait", again, "regenerate"), ("generating", again, ""),
                     ("done", again, ""), ("removed", later, "expired")]  # fmt: skip
    return path


def generate_composes(
    seed: int, count: int, tables: object, graph: StreamGraph, start: datetime, now: datetime
) -> None:
    """Add ``count`` composes, their contents and traces to ``tables``."""
    rng = random.Random(seed + SEED_OFFSET)
    composer = _Composer(rng, tables, _Sources.of(tables.rows), graph)  # type: ignore[attr-defined]
    span = (now - start).total_seconds()
    times = sorted(start + timedelta(seconds=span * rng.random() ** 0.8) for _ in range(count))
    event = 60_000_000
    for cid, submitted in enumerate(times, start=1):
        live = cid > count - LIVE
        submitted = now - timedelta(minutes=rng.uniform(1, 30)) if live else submitted
        origin = pick_value(rng, ORIGINS)
        kind = "pungi_compose" if origin == "pungi" else pick_value(rng, SOURCE_TYPES)
        life = _life(rng, submitted, now, live)
        event += rng.randint(50, 5000)
        _one(composer, cid, str(origin), str(kind), submitted, life, event)


def _one(c: _Composer, cid: int, origin: str, kind: str, at: datetime, life: dict, event: int):
    rng = c.rng
    arches = pick_value(rng, ARCHES)
    if kind == "pungi_compose":  # the compose is its location; its id is unique
        pungi_id = f"Fedora-Rawhide-{at:%Y%m%d}.n.{cid}"
        source, rpms, modules, label = f"{PUNGI}/{pungi_id}/compose", [], [], None
    else:
        source, rpms, modules, label = c.source(kind, at)
    reason = rng.choice(FAILURES) if life["state"] == "failed" else ""
    has_result = life["done"] is not None
    regenerated = life["state"] == "removed" and rng.random() < 0.03
    path = _path(life, at, reason, regenerated)
    owner = "conveyor" if label else rng.choice(c.owners)
    external = {"conveyor": None, "odcs": str(100_000 + cid)}.get(origin, source)
    if origin == "pungi":
        external = source.split("/")[-2]  # its compose id
    url = f"{BASE}/odcs-{cid}/compose/Temporary/$basearch/os/" if has_result else None
    packages = sorted({n for _, n in rpms})[:20] if kind == "build" else []
    reused = rng.randint(1, cid - 1) if cid > 1 and has_result and rng.random() < 0.02 else None
    c.tables.add("composes", (  # type: ignore[attr-defined]
        cid, origin, external, "pungi" if origin == "pungi" else owner, kind, source,
        event if life["started"] is not None else None, json.dumps(packages),
        json.dumps(list(arches)), json.dumps([]), json.dumps([]), json.dumps(["repository"]), label,
        "test" if origin != "pungi" else "production", None, json.dumps([]), life["state"], reason,
        at, life["started"], life["done"], path[-1][1] if life["removed"] else None,
        None if origin == "pungi" else life["expire"], life["by"], reused,
        f"/srv/odcs/odcs-{cid}" if has_result else None, url,
        f"{BASE}/odcs-{cid}/compose/Temporary/odcs-{cid}.repo" if has_result else None,
        path[-1][1],
    ))  # fmt: skip
    c.trace(cid, path)
    if has_result and kind != "pungi_compose":
        c.add_modules(cid, modules)
        c.add_contents(cid, rpms, arches)
