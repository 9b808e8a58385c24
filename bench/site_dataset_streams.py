"""The module knower's part of the Fedora-scale dataset: stream definitions, dependencies, refs.

~1,000 module streams in a Fedora-like shallow graph (``Scale.streams``):

* layer 0, ``platform:f39`` .. ``platform:f42``: defined from a file, as a
  deployment loads its platform modulemd with ``conveyor deps load``;
* layer 1, every ``name:stream`` the generated module builds built: each
  buildrequires a platform stream list and, for a share of them, one earlier
  layer-1 stream (so rebuild chains have tiers); its component refs are the
  packages its newest module build built;
* layer 2, the rest: module names from upstream stems, 1-4 streams each,
  buildrequiring platform and 0-2 streams of layer 1 or of the first fifth of
  layer 2 (depth stays <= 4, as in Fedora), components drawn from the packages.

Stream lists are written as modulemd v2 writes them (``[]`` any, ``["-f39"]``
any but, ``["f41"]``); a few dependencies name a stream nobody defines
(unresolved). A quarter of the streams have older definitions (history rows
with lower ids: the newest row is the current definition). Deterministic:
it draws from its own ``random.Random`` so the older tables do not change.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bench.site_dataset_names import pick_value

COLUMNS = {
    "module_stream_definitions": ("id", "name", "stream", "source_kind", "source", "origin",
                                  "mdversion", "eol", "servicelevels", "recorded_at"),
    "module_dependencies": ("id", "definition_id", "block", "kind", "module", "streams"),
    "module_component_refs": ("id", "definition_id", "rpm", "ref"),
}  # fmt: skip
PLATFORMS = ("f39", "f40", "f41", "f42")
PLATFORM_LISTS = ((["f41"], 0.35), ([], 0.30), (["-f39"], 0.15), (["f40", "f41"], 0.12),
                  (["f42"], 0.08))  # fmt: skip
STREAM_WORDS = ("latest", "stable", "rolling", "master", "devel", "lts")
REF_KINDS = (("default", 0.30), ("stream", 0.45), ("branch", 0.25))
SEED_OFFSET = 1  # this part's random stream: seed + 1


@dataclass
class StreamGraph:
    """What the other generated parts need of the knower (chains, composes)."""

    layer1: list[str] = field(default_factory=list)  # ns with module builds
    buildrequires: dict[str, list[str]] = field(default_factory=dict)  # ns -> explicit ns
    requires: dict[str, list[str]] = field(default_factory=dict)  # ns -> explicit ns (runtime)

    def dependants(self) -> dict[str, list[str]]:
        """ns -> the streams that buildrequire it (explicitly), sorted."""
        out: dict[str, set[str]] = {}
        for ns, needed in self.buildrequires.items():
            for dep in needed:
                out.setdefault(dep, set()).add(ns)
        return {ns: sorted(users) for ns, users in out.items()}


@dataclass
class _Stream:
    name: str
    stream: str
    deps: list[tuple[int, str, str, list[str]]]  # block, kind, module, streams
    components: list[tuple[str, str | None]]  # rpm, ref


def _stream_name(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return str(rng.randint(1, 30))
    if rng.random() < 0.6:
        return f"{rng.randint(1, 9)}.{rng.randint(0, 40)}"
    return rng.choice(STREAM_WORDS)


def _ref(rng: random.Random, stream: str) -> str | None:
    kind = pick_value(rng, REF_KINDS)
    if kind == "default":
        return None
    return stream if kind == "stream" else rng.choice(("rawhide", "f41", "f40", "epel9"))


def _platform_deps(rng: random.Random, block: int) -> list[tuple[int, str, str, list[str]]]:
    wanted = list(pick_value(rng, PLATFORM_LISTS))  # type: ignore[call-overload]
    runtime = [] if rng.random() < 0.7 else wanted
    return [(block, "buildrequires", "platform", wanted), (block, "requires", "platform", runtime)]


def _module_deps(
    rng: random.Random, picks: list[str], graph: StreamGraph, ns: str
) -> list[tuple[int, str, str, list[str]]]:
    deps = _platform_deps(rng, 0)
    for dep in picks:
        module, stream = dep.split(":", 1)
        deps.append((0, "buildrequires", module, [stream]))
        graph.buildrequires.setdefault(ns, []).append(dep)
        if rng.random() < 0.6:  # most build-time modules are needed at run time too
            deps.append((0, "requires", module, [stream]))
            graph.requires.setdefault(ns, []).append(dep)
    if rng.random() < 0.02:  # names a stream nobody defines: unresolved
        deps.append((0, "buildrequires", "javapackages-tools", ["201801"]))
    if rng.random() < 0.05:  # a second block: an alternative build for the next release
        deps.extend(_platform_deps(rng, 1))
    return deps


def _picks(rng: random.Random, bases: list[str], module: str, wanted: int) -> list[str]:
    """Up to ``wanted`` streams of distinct modules other than ``module`` (one dependency
    per module and kind in a block, as modulemd has it)."""
    picks: dict[str, str] = {}
    for _ in range(wanted * 3 if bases else 0):
        ns = rng.choice(bases)
        name = ns.split(":", 1)[0]
        if name != module and name not in picks:
            picks[name] = ns
        if len(picks) == wanted:
            break
    return list(picks.values())


def _layer1(
    rng: random.Random, module_builds: list[tuple], components: list[tuple], graph: StreamGraph
) -> list[_Stream]:
    newest: dict[str, int] = {}
    for row in module_builds:  # id, name, stream, ...
        newest[f"{row[1]}:{row[2]}"] = row[0]
    packages: dict[int, list[str]] = {}
    for row in components:  # id, module_build_id, package, ...
        packages.setdefault(row[1], []).append(row[2])
    out = []
    for ns in sorted(newest):
        name, stream = ns.split(":", 1)
        picks = _picks(rng, graph.layer1, name, 1 if rng.random() < 0.45 else 0)
        deps = _module_deps(rng, picks, graph, ns)
        refs = [(rpm, _ref(rng, stream)) for rpm in sorted(set(packages.get(newest[ns], ())))]
        graph.layer1.append(ns)
        out.append(_Stream(name, stream, deps, refs))
    return out


def _layer2(
    rng: random.Random, count: int, taken: set[str], names: list[str], graph: StreamGraph
) -> list[_Stream]:
    from bench.site_dataset_names import STEMS, WORDS  # the package names' vocabulary

    out: list[_Stream] = []
    bases = list(graph.layer1)
    while len(out) < count:
        module = rng.choice(STEMS)
        module = module if rng.random() < 0.6 else f"{module}-{rng.choice(WORDS)}"
        for _ in range(rng.randint(1, 4)):
            stream = _stream_name(rng)
            ns = f"{module}:{stream}"
            if ns in taken or len(out) >= count:
                continue
            taken.add(ns)
            picks = _picks(rng, bases, module, rng.choice((0, 0, 1, 1, 2)))
            deps = _module_deps(rng, picks, graph, ns)
            size = max(1, min(120, int(rng.lognormvariate(2.4, 0.9))))
            refs = [(rpm, _ref(rng, stream)) for rpm in sorted(set(rng.sample(names, size)))]
            out.append(_Stream(module, stream, deps, refs))
            if len(out) < count // 5:
                bases.append(ns)
    return out


def _platforms() -> list[_Stream]:
    return [_Stream("platform", f, [], []) for f in PLATFORMS]


def generate_streams(
    seed: int, count: int, tables: object, names: list[str], start: datetime, now: datetime
) -> StreamGraph:
    """Add definitions, dependencies and component refs to ``tables``; return the graph."""
    rng = random.Random(seed + SEED_OFFSET)
    graph = StreamGraph()
    rows = tables.rows  # type: ignore[attr-defined]
    streams = _platforms()
    streams += _layer1(rng, rows.get("module_builds", []), rows.get("component_builds", []), graph)
    taken = {f"{s.name}:{s.stream}" for s in streams}
    streams += _layer2(rng, max(0, count - len(streams)), taken, names, graph)
    history = [s for s in streams if s.name != "platform" and rng.random() < 0.25]
    ids = _Ids()
    span = (now - start).total_seconds()
    for stream in history:  # older definitions first: the current one has the highest id
        for _ in range(rng.randint(1, 3)):
            at = start + timedelta(seconds=rng.random() * span * 0.7)
            _definition(rng, tables, ids, stream, at, older=True)
    for stream in streams:
        at = start + timedelta(seconds=span * (0.7 + rng.random() * 0.3))
        _definition(rng, tables, ids, stream, at, older=False)
    return graph


@dataclass
class _Ids:
    definition: int = 0
    dependency: int = 0
    component: int = 0


def _definition(
    rng: random.Random, tables: object, ids: _Ids, s: _Stream, at: datetime, *, older: bool
) -> None:
    add = tables.add  # type: ignore[attr-defined]
    ids.definition += 1
    platform = s.name == "platform"
    if platform:
        source = hashlib.sha256(f"{s.name}:{s.stream}".encode()).hexdigest()
        kind, origin = "file", f"/etc/conveyor/platform/{s.stream}.yaml"
    else:
        kind = "build" if rng.random() < 0.05 else "commit"
        source = f"{rng.getrandbits(160):040x}"
        origin = f"https://src.fedoraproject.org/modules/{s.name}.git"
    release = int(s.stream[1:]) if platform else rng.randint(39, 44)
    eol = date(2020 + release - 36, rng.choice((5, 11)), 28) if rng.random() < 0.8 else None
    levels = {"rawhide": None if eol is None else eol.isoformat()}
    mdversion = 1 if not platform and rng.random() < 0.03 else 2
    add("module_stream_definitions", (ids.definition, s.name, s.stream, kind, source, origin,
                                      mdversion, eol, json.dumps(levels), at))  # fmt: skip
    deps = s.deps[:-1] if older and len(s.deps) > 2 and rng.random() < 0.5 else s.deps
    for block, dep_kind, module, streams in deps:
        ids.dependency += 1
        row = (ids.dependency, ids.definition, block, dep_kind, module, json.dumps(streams))
        add("module_dependencies", row)
    refs = s.components if not older else [c for c in s.components if rng.random() < 0.9]
    for rpm, ref in refs:
        ids.component += 1
        add("module_component_refs", (ids.component, ids.definition, rpm, ref))
