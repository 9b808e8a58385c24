"""CI results and gating decisions for the Fedora-scale dataset.

Fedora CI tests koji builds of rawhide and the branched/stable Fedora releases
(not EPEL here) and gates rawhide and the newest release: of the complete
builds of the last nine months on those branches, three in four have results
of the two required test cases and 0-2 others (some preceded by a ``running``
result, as resultsdb keeps both; for 4 % one is still only running), mostly
passed, some failed, errored or needing inspection; the gated ones have a
decision (passed, failed, or waiting for the missing result).
Every ready module build has its tier-0 result (by NSVC, or by NSV as some
CI systems name it) and a passed decision; a failed one that reached CI has a
failed result. Its own ``random.Random`` (seed + 4).
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from bench.site_dataset_names import pick_value

COLUMNS = {
    "test_results": ("id", "message_id", "source", "artifact_type", "artifact", "testcase",
                     "outcome", "raw_outcome", "branch", "ref_url", "result_at", "received_at"),
    "gating_decisions": ("id", "module_build_id", "nvr", "outcome", "reason", "missing",
                         "decided_at"),
}  # fmt: skip
TESTCASES = (
    "fedora-ci.koji-build.tier0.functional",
    "fedora-ci.koji-build.rpminspect.static-analysis",
    "fedora-ci.koji-build.installability.functional",
    "fedora-ci.koji-build.rpmdeplint.functional",
)
REQUIRED = TESTCASES[:2]  # what the gating policy of the gated branches asks for
MODULE_TESTCASE = "fedora-ci.redhat-module.tier0.functional"
OUTCOMES = (("passed", 0.90), ("failed", 0.05), ("error", 0.02), ("needs_inspection", 0.015),
            ("info", 0.015))  # fmt: skip
TESTED = frozenset({"rawhide", "f41", "f40", "f39"})
GATED = frozenset({"rawhide", "f41"})
SEED_OFFSET = 4


class _Results:
    def __init__(self, rng: random.Random, tables: object):
        self.rng, self.tables = rng, tables
        self.result_id = self.decision_id = 0

    def add(self, artifact_type: str, artifact: str, testcase: str, outcome: str,
            branch: str | None, at: datetime) -> None:  # fmt: skip
        self.result_id += 1
        url = f"https://artifacts.dev.testing-farm.io/{self.rng.getrandbits(64):016x}/"
        source = "ci-spec" if self.rng.random() < 0.2 else "resultsdb"
        raw = outcome.upper()
        self.tables.add("test_results", (  # type: ignore[attr-defined]
            self.result_id, f"ci-{self.result_id}", source, artifact_type, artifact, testcase,
            outcome, raw, branch, url, at, at + timedelta(seconds=self.rng.uniform(1, 30)),
        ))  # fmt: skip

    def decide(self, subject: tuple[int | None, str | None], outcomes: dict[str, str],
               at: datetime) -> None:  # fmt: skip
        missing = sorted(t for t in REQUIRED if t not in outcomes) if subject[1] else []
        bad = sorted(t for t, o in outcomes.items() if o in ("failed", "error", "needs_inspection"))
        if bad:
            verdict, reason = "failed", f"required test {bad[0]} is {outcomes[bad[0]]}"
        elif missing:
            verdict, reason = "waiting", f"{len(missing)} required result(s) missing"
        else:
            verdict, reason = "passed", "all required tests passed"
        self.decision_id += 1
        self.tables.add("gating_decisions", (  # type: ignore[attr-defined]
            self.decision_id, subject[0], subject[1], verdict, reason, json.dumps(missing), at,
        ))  # fmt: skip


def _build_results(r: _Results, build: tuple, now: datetime) -> None:
    rng = r.rng
    nvr, branch, at = build[12], build[2], build[15] or build[14]
    # the required test cases always run (Fedora CI's tier 0 and rpminspect), others may
    testcases = [*REQUIRED, *rng.sample(TESTCASES[len(REQUIRED) :], rng.randint(0, 2))]
    unfinished = testcases[-1] if rng.random() < 0.04 else None  # still running: waiting
    outcomes: dict[str, str] = {}
    for testcase in testcases:
        when = min(now, at + timedelta(minutes=rng.uniform(5, 240)))
        if testcase == unfinished or rng.random() < 0.2:  # resultsdb keeps running results
            r.add("koji_build", nvr, testcase, "running", branch, when - timedelta(minutes=3))
        if testcase != unfinished:
            outcomes[testcase] = pick_value(rng, OUTCOMES)
            r.add("koji_build", nvr, testcase, outcomes[testcase], branch, when)
    if branch in GATED:
        required = {t: o for t, o in outcomes.items() if t in REQUIRED}
        r.decide((None, nvr), required, min(now, at + timedelta(hours=4)))


def generate_ci(seed: int, tables: object, now: datetime) -> None:
    """Add test results and gating decisions for builds and module builds to ``tables``."""
    rng = random.Random(seed + SEED_OFFSET)
    r = _Results(rng, tables)
    rows = tables.rows  # type: ignore[attr-defined]
    since = now - timedelta(days=270)
    for build in rows["builds"]:  # nvr 12, branch 2, created 13, completed 15
        if build[12] and build[2] in TESTED and build[13] >= since and rng.random() < 0.75:
            _build_results(r, build, now)
    for m in rows.get("module_builds", []):  # id, name, stream, version, context, ... state 9
        if m[9] not in ("ready", "failed") or (m[9] == "failed" and rng.random() < 0.7):
            continue
        nsvc = f"{m[1]}:{m[2]}:{m[3]}:{m[4]}"
        artifact = nsvc if rng.random() < 0.7 else nsvc.rsplit(":", 1)[0]
        at = m[18]  # updated_at: when it became ready (or failed)
        outcome = "passed" if m[9] == "ready" else "failed"
        r.add("module", artifact, MODULE_TESTCASE, outcome, None, at - timedelta(minutes=5))
        if m[9] == "ready":
            r.decide((m[0], None), {MODULE_TESTCASE: outcome}, at - timedelta(minutes=1))
