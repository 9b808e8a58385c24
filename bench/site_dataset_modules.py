"""Module builds for the Fedora-scale dataset: ~30 modules, their builds, components and traces.

1,000 module builds (``Scale.module_builds``) of a few streams each of
``MODULES``, 1-120 components each (~15 on average), later builds of a stream
reusing earlier components; mostly ready, some failed, a few in progress; the
module builds' and the components' traces. Drawn from the dataset's main
random stream, after the builds (the order is part of the seed's dataset).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bench.site_dataset_names import commit_hash, pick, words

if TYPE_CHECKING:
    from bench.site_dataset import Scale, Tables

MODULES = words(
    "nodejs perl ruby postgresql mariadb mysql php python39 redis nginx httpd varnish maven "
    "container-tools go-toolset rust-toolset llvm-toolset gimp inkscape subversion squid "
    "swig scala sbt jmc eclipse avocado dotnet django flatpak-runtime idm pki-core"
)
MODULE_STATES = (("ready", 0.85), ("failed", 0.10), ("build", 0.03), ("wait", 0.01), ("init", 0.01))


def generate_module_builds(
    rng: random.Random,
    scale: Scale,
    tables: Tables,
    start: datetime,
    now: datetime,
    packagers: list[str],
    names: list[str],
) -> None:
    streams: dict[str, list[str]] = {
        m: [str(s) for s in rng.sample(range(1, 25), rng.randint(1, 4))] for m in MODULES
    }
    keys = [(m, s) for m, ss in streams.items() for s in ss]
    components_of = {
        key: rng.sample(names, max(1, min(120, int(rng.lognormvariate(2.4, 0.9))))) for key in keys
    }
    previous: dict[tuple[str, str], dict[str, int]] = {}  # stream -> package -> component id
    component_id = mt_id = ct_id = 0
    span = (now - start).total_seconds()
    times = sorted(
        start + timedelta(seconds=rng.random() * span) for _ in range(scale.module_builds)
    )
    for mid, submitted in enumerate(times, start=1):
        name, stream = rng.choice(keys)
        version = int(submitted.strftime("%Y%m%d%H%M%S")) + mid
        state = pick(rng, MODULE_STATES)[0]
        if state in ("init", "wait", "build"):
            submitted = now - timedelta(seconds=rng.random() * 3 * 3600)
        packages = components_of[(name, stream)]
        batches = max(1, min(6, len(packages) // 5))
        tag = None if state in ("init", "wait") else f"module-{name}-{stream}-{version}-c0ffee00"
        current = 0 if tag is None else (rng.randint(1, batches) if state == "build" else batches)
        states = ["init", "wait", "build", "done", "ready"]
        path = {"ready": states, "build": states[:3], "wait": states[:2], "init": states[:1],
                "failed": [*states[: rng.randint(1, 3)], "failed"]}[state]  # fmt: skip
        at = submitted
        old = None
        for to in path:
            mt_id += 1
            reason = "component build failed" if to == "failed" else ""
            tables.add(
                "module_build_transitions", (mt_id, mid, old, to, f"msg-m{mt_id}", reason, at)
            )
            old = to
            at = min(now, at + timedelta(seconds=rng.lognormvariate(6, 1)))
        owner = rng.choice(packagers)
        commit = commit_hash(rng)
        finished = state in ("ready", "failed")
        tables.add("module_builds", (
            mid, name, stream, version, "c0ffee00",
            f"git+https://src.fedoraproject.org/modules/{name}.git?#{commit}", commit, owner,
            f"document: modulemd\nversion: 2\ndata:\n  name: {name}\n  stream: '{stream}'\n",
            state, "component build failed" if state == "failed" else "", current, tag,
            json.dumps({"platform:f41": "module-f41-build"}), None, None, None,
            submitted, at, at if finished else None,
        ))  # fmt: skip
        reuse = previous.get((name, stream), {})
        mine: dict[str, int] = {}
        for i, package in enumerate(packages):
            component_id += 1
            batch = 1 + i * batches // len(packages)
            origin = reuse.get(package) if rng.random() < 0.6 else None
            if state == "ready" or (state == "build" and batch < current):
                cstate = "reused" if origin else "complete"
            elif state == "failed":
                cstate = rng.choice(("complete", "failed", "canceled", "waiting"))
                cstate = "waiting" if cstate == "waiting" else cstate
            elif state == "build" and batch == current:
                cstate = rng.choice(("building", "complete"))
            else:
                cstate = "waiting"
            if cstate == "reused" and origin is None:
                cstate = "complete"
            task = 50_000_000 + component_id if cstate in ("building", "complete", "failed",
                                                             "canceled") else None  # fmt: skip
            nvr = f"{package}-1.0-1.module+{version}" if cstate in ("complete", "reused") else None
            tables.add("component_builds", (
                component_id, mid, package, stream, commit_hash(rng),
                f"https://src.fedoraproject.org/rpms/{package}", batch, cstate,
                "koji task failed" if cstate == "failed" else "", task,
                60_000_000 + component_id if cstate == "complete" else None, nvr,
                cstate in ("complete", "reused"), cstate in ("complete", "reused"),
                origin if cstate == "reused" else None, at,
            ))  # fmt: skip
            mine[package] = component_id
            if cstate != "waiting":
                ct_id += 1
                tables.add("component_build_transitions", (
                    ct_id, component_id, "waiting", cstate, f"msg-c{ct_id}", "", at,
                ))  # fmt: skip
        if state == "ready":
            previous[(name, stream)] = mine
