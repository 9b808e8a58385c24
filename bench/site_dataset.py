"""A Fedora-scale dataset for the status site, generated and bulk-loaded (SQLite or PostgreSQL).

Deterministic for a seed. What it holds, by default (``Scale``):

* 23,000 dist-git packages with Fedora-like names: ``rust-*`` crates,
  ``python-*``, ``perl-Foo-Bar``, ``golang-github-org-repo``, ``ghc-*``,
  ``R-*``, ``php-*``, ``nodejs-*``, ``ocaml-*``, ``mingw-*`` and plain upstream
  names, in roughly the proportions of Fedora's ``rpms/`` namespace.
* 250,000 builds spread heavy-tailed over the packages (log-normal weights:
  most packages have a handful of builds, a few have hundreds), over the last
  15 months at a steady rate plus a mass-rebuild week, on rawhide, branched
  and stable Fedora branches and EPEL; ~89 % complete, ~8 % failed, ~2 %
  canceled, a few hundred queued or building right now. Every build has the
  trace Conveyor writes (request, then each state change: ~3 rows a build)
  and the push that started it in the branch history, plus ignored pushes.
* 1,000 module builds of ~120 modules, 1-120 components each (~15 on
  average), later builds of a stream reusing earlier components; ready,
  failed, a few in progress; their traces and the components' traces.
* What the overview counts: a few hundred rejected messages, the outbox of
  the last week (a few rows pending), the inbox of the last week (see
  bench/README.md: nothing prunes the inbox yet).

* What the pipeline pages show (each part in its own module, drawing from its
  own random stream so the tables above stay the same for a seed):
  ``site_dataset_streams`` ~1,000 module stream definitions with modulemd v2
  dependencies rooted at ``platform:fNN`` and component refs;
  ``site_dataset_composes`` 5,000 composes with contents and traces;
  ``site_dataset_chains`` 50 rebuild chains with tiers, items and traces;
  ``site_dataset_ci`` CI results and gating decisions of builds and module
  builds.

Rows are generated as tuples in table column order and loaded with one
``executemany`` per table on SQLite and ``COPY ... FROM STDIN`` on
PostgreSQL, after ``alembic upgrade head`` created the schema
(``site_dataset_load``). Names come from ``site_dataset_names``, module
builds from ``site_dataset_modules``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bench import site_dataset_chains, site_dataset_ci, site_dataset_composes, site_dataset_streams
from bench.site_dataset_load import load_tables
from bench.site_dataset_modules import generate_module_builds
from bench.site_dataset_names import (  # noqa: F401 (STEMS, WORDS, package_name: the vocabulary)
    STEMS,
    WORDS,
    commit_hash,
    package_name,
    package_names,
    pick,
)

BRANCHES = (
    ("rawhide", "rawhide", 0.50), ("f41", "f41-candidate", 0.17), ("f40", "f40-candidate", 0.13),
    ("f39", "f39-candidate", 0.06), ("epel9", "epel9-candidate", 0.09),
    ("epel8", "epel8-candidate", 0.05),
)  # fmt: skip
DIST = {"rawhide": "fc42", "f41": "fc41", "f40": "fc40", "f39": "fc39", "epel9": "el9",
        "epel8": "el8"}  # fmt: skip
FINAL_STATES = (("complete", 0.895), ("failed", 0.08), ("canceled", 0.02), ("skipped", 0.005))
FAILURES = (
    "rpmbuild failed: %check exited 1", "BuildError: error building package (arch x86_64)",
    "missing BuildRequires: python3dist(setuptools-scm) >= 8",
    "koji task timed out after 24 hours", "no progress for 24 hours",
    "Unable to resolve dependencies: nothing provides libfoo.so.3()(64bit)",
)  # fmt: skip


@dataclass(frozen=True)
class Scale:
    packages: int = 23_000
    builds: int = 250_000
    module_builds: int = 1_000
    in_flight: int = 250  # queued or building right now
    months: float = 15.0
    rejected: int = 300
    streams: int = 1_000  # module streams the knower has a definition of
    composes: int = 5_000
    chains: int = 50
    seed: int = 20241101


@dataclass
class Tables:
    """Rows per table, as tuples in ``COLUMNS`` order."""

    rows: dict[str, list[tuple]] = field(default_factory=dict)

    def add(self, table: str, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, ()))


COLUMNS = {
    "packages": ("id", "namespace", "name"),
    "builds": ("id", "package_id", "branch", "commit", "target", "source", "state",
               "state_reason", "reason", "pusher", "koji_task_id", "koji_build_id", "nvr",
               "created_at", "updated_at", "completed_at"),
    "build_transitions": ("id", "build_id", "from_state", "to_state", "cause", "reason", "at"),
    "branch_refs": ("id", "package_id", "branch", "old_commit", "new_commit", "pusher",
                    "pushed_at", "message_id", "decision"),
    "module_builds": ("id", "name", "stream", "version", "context", "scmurl", "commit", "owner",
                      "modulemd", "state", "state_reason", "batch", "koji_tag", "buildrequires",
                      "repo_task_id", "last_repo_id", "repo_requested_at", "submitted_at",
                      "updated_at", "completed_at"),
    "component_builds": ("id", "module_build_id", "package", "ref", "commit", "repository",
                         "batch", "state", "state_reason", "koji_task_id", "koji_build_id", "nvr",
                         "tagged_build", "tagged_dest", "reused_from_id", "updated_at"),
    "module_build_transitions": ("id", "module_build_id", "from_state", "to_state", "cause",
                                 "reason", "at"),
    "component_build_transitions": ("id", "component_build_id", "from_state", "to_state",
                                    "cause", "reason", "at"),
    "rejected_messages": ("id", "message_id", "topic", "body", "headers", "consumer", "kind",
                          "reason", "rejected_at"),
    "outbox": ("id", "message_id", "topic", "body", "created_at", "sent_at", "attempts",
               "last_error"),
    "inbox": ("message_id", "topic", "consumer", "outcome", "processed_at"),
    **site_dataset_streams.COLUMNS,
    **site_dataset_composes.COLUMNS,
    **site_dataset_chains.COLUMNS,
    **site_dataset_ci.COLUMNS,
}  # fmt: skip


def _spread(rng: random.Random, total: int, slots: int, sigma: float) -> list[int]:
    """``total`` split over ``slots``, at least one each, log-normal weights (heavy tail)."""
    weights = [rng.lognormvariate(0, sigma) for _ in range(slots)]
    scale = (total - slots) / sum(weights)
    counts = [1 + int(w * scale) for w in weights]
    for i in rng.sample(range(slots), total - sum(counts)):
        counts[i] += 1
    return counts


def generate(scale: Scale, now: datetime) -> Tables:
    """Every row of the dataset; ``now`` is naive UTC (the end of the history)."""
    rng = random.Random(scale.seed)
    tables = Tables()
    start = now - timedelta(days=30.4 * scale.months)
    span = (now - start).total_seconds()
    mass_rebuild = now - timedelta(days=120)
    packagers = [
        f"{rng.choice(WORDS)}{rng.choice(STEMS)[:4]}{rng.randint(1, 99)}" for _ in range(1500)
    ]
    names = package_names(rng, scale.packages)
    for pid, name in enumerate(names, start=1):
        tables.add("packages", (pid, "rpms", name))
    per_package = _spread(rng, scale.builds, scale.packages, 1.1)
    in_flight = set(rng.sample(range(scale.builds), scale.in_flight))
    build_id = transition_id = ref_id = 0
    task = 40_000_000
    for pid, (name, count) in enumerate(zip(names, per_package, strict=True), start=1):
        owner = rng.choice(packagers)
        version = f"{rng.randint(0, 12)}.{rng.randint(0, 30)}"
        for n in range(count):
            build_id += 1
            branch, target, _ = pick(rng, BRANCHES)
            if rng.random() < 0.08:  # the mass rebuild week
                created = mass_rebuild + timedelta(seconds=rng.random() * 7 * 86400)
            else:
                created = start + timedelta(seconds=rng.random() * span)
            flying = (build_id - 1) in in_flight
            if flying:
                created = now - timedelta(seconds=rng.random() * 6 * 3600)
            commit = commit_hash(rng)
            pusher = owner if rng.random() < 0.8 else rng.choice(packagers)
            source = f"git+https://src.fedoraproject.org/rpms/{name}.git#{commit}"
            state = rng.choice(("queued", "building")) if flying else pick(rng, FINAL_STATES)[0]
            trace = [("queued", created)]
            at = created
            if state != "queued" and state != "skipped":
                at = at + timedelta(seconds=rng.uniform(1, 120))
                trace.append(("building", at))
            if state in ("complete", "failed", "canceled", "skipped"):
                at = min(now, at + timedelta(seconds=rng.lognormvariate(6.5, 1.2)))
                trace.append((state, at))
            release = f"{n + 1}.{DIST[branch]}"
            task += rng.randint(1, 40)
            started = state in ("building", "complete", "failed", "canceled")
            reason = rng.choice(FAILURES) if state == "failed" else ""
            tables.add("builds", (
                build_id, pid, branch, commit, target, source, state, reason,
                f"push to {branch} by {pusher}", pusher, task if started else None,
                task + 7 if state == "complete" else None,
                f"{name}-{version}-{release}" if state == "complete" else None,
                created, at, at if state in ("complete", "failed", "canceled", "skipped") else None,
            ))  # fmt: skip
            old = None
            for to, when in trace:
                transition_id += 1
                why = reason if to == "failed" else ""
                tables.add("build_transitions", (
                    transition_id, build_id, old, to, f"msg-{transition_id:x}", why, when,
                ))  # fmt: skip
                old = to
            ref_id += 1
            tables.add("branch_refs", (
                ref_id, pid, branch, commit_hash(rng), commit, pusher,
                created - timedelta(seconds=1), f"push-{ref_id}", f"build queued for {target}",
            ))  # fmt: skip
            if rng.random() < 0.04:  # a push to a branch Conveyor does not build
                ref_id += 1
                tables.add("branch_refs", (
                    ref_id, pid, f"private-{rng.choice(WORDS)}", None, commit_hash(rng), pusher,
                    created, f"push-{ref_id}",
                    "ignored: not built: branch maps to no koji target",
                ))  # fmt: skip
    generate_module_builds(rng, scale, tables, start, now, packagers, names)
    _operations(rng, scale, tables, now)
    _pipeline(scale, tables, names, start, now)
    return tables


def _pipeline(scale: Scale, tables: Tables, names: list[str], start: datetime, now: datetime):
    """Stream knowledge, composes, chains, CI: after the builds and module builds they name."""
    seed = scale.seed
    graph = site_dataset_streams.generate_streams(seed, scale.streams, tables, names, start, now)
    site_dataset_composes.generate_composes(seed, scale.composes, tables, graph, start, now)
    site_dataset_chains.generate_chains(seed, scale.chains, tables, graph, start, now)
    site_dataset_ci.generate_ci(seed, tables, now)


def _operations(rng: random.Random, scale: Scale, tables: Tables, now: datetime) -> None:
    week = 7 * 86400
    for i in range(1, scale.rejected + 1):
        at = now - timedelta(seconds=rng.random() * 90 * 86400)
        tables.add("rejected_messages", (
            i, f"rej-{i}", "org.fedoraproject.prod.buildsys.build.state.change",
            json.dumps({"build_id": "x" * rng.randint(1, 200)}), json.dumps({}),
            rng.choice(("koji", "distgit", "module")), rng.choice(("invalid", "exhausted")),
            "body.build_id: expected an integer", at,
        ))  # fmt: skip
    recent = [b for b in tables.rows["builds"] if (now - b[14]).total_seconds() < week]
    for i, build in enumerate(recent, start=1):
        sent = None if i <= 5 else build[14] + timedelta(seconds=1)
        tables.add("outbox", (
            i, f"out-{i}", "conveyor.build.state.change.v1",
            json.dumps({"build": {"id": build[0]}, "new": build[6]}), build[14], sent, 0, None,
        ))  # fmt: skip
        for n, consumer in enumerate(("distgit", "koji", "koji")):
            tables.add("inbox", (f"in-{i}-{n}", "t", consumer, "handled",
                                 build[13] + timedelta(seconds=n * 60)))  # fmt: skip


def load(url: str, tables: Tables) -> dict[str, int]:
    """Create the schema with alembic, then bulk-load every table; return row counts."""
    return load_tables(url, tables, COLUMNS)


def now_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def heaviest(tables: Tables, top: int = 5) -> Iterator[tuple[str, int]]:
    """The packages with the most builds (names, counts): the pages that cost most."""
    counts: dict[int, int] = {}
    for build in tables.rows["builds"]:
        counts[build[1]] = counts.get(build[1], 0) + 1
    names = {p[0]: p[2] for p in tables.rows["packages"]}
    for pid, count in sorted(counts.items(), key=lambda kv: -kv[1])[:top]:
        yield names[pid], count
