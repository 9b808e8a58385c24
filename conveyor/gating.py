"""The gating policy: passed, failed or waiting, decided from recorded CI results.

Greenwave's idea on Conveyor's data: settings name the test cases an
artifact requires (per artifact type, stream or branch, and name); the
latest result of each, by the result's own time, decides. Nothing required
means passed at once. A required test that failed (or errored, or needs
inspection) fails the gate; required results still missing once the
timeout has run since the build finished fail it too; otherwise it waits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fnmatch import fnmatchcase

from sqlalchemy import select
from sqlalchemy.orm import Session

from conveyor.settings import Settings
from conveyor.settings_gating import GatingRule
from models.base import utcnow
from models.build import Build
from models.module_build import ModuleBuild
from models.test_result import SATISFYING, UNSATISFYING, TestResult, latest


@dataclass(frozen=True)
class Verdict:
    outcome: str  # passed | failed | waiting
    reason: str
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requirement:
    required: tuple[str, ...]
    timeout_minutes: int


def requirement(settings: Settings, artifact: str, name: str, stream: str) -> Requirement:
    """What every matching rule requires, with the strictest (shortest) timeout."""
    rules = [r for r in settings.gating.rules if _matches(r, artifact, name, stream)]
    required = tuple(sorted({test for rule in rules for test in rule.required}))
    timeouts = [
        r.timeout_minutes if r.timeout_minutes is not None else settings.gating.timeout_minutes
        for r in rules
    ]
    return Requirement(required, min(timeouts, default=settings.gating.timeout_minutes))


def _matches(rule: GatingRule, artifact: str, name: str, stream: str) -> bool:
    return (
        rule.artifact == artifact
        and fnmatchcase(stream, rule.stream)
        and fnmatchcase(name, rule.name)
    )


def module_identifiers(module: ModuleBuild) -> tuple[str, ...]:
    """Every way a result may name this module build: NSVC, NSV, and koji's NVR form."""
    stream = module.stream.replace("-", "_")
    return (
        module.nsvc,
        module.nsv,
        f"{module.name}-{stream}-{module.version}.{module.context}",
        f"{module.name}-{stream}-{module.version}",
    )


def module_verdict(
    session: Session, module_build: ModuleBuild, settings: Settings, now: datetime | None = None
) -> Verdict:
    need = requirement(settings, "module", module_build.name, module_build.stream)
    results = latest(session, "module", module_identifiers(module_build)) if need.required else {}
    return decide(need, results, module_build.completed_at, now or utcnow())


def build_verdict(
    session: Session, nvr: str, branch: str, settings: Settings, now: datetime | None = None
) -> Verdict:
    name = nvr.rsplit("-", 2)[0]
    need = requirement(settings, "koji_build", name, branch)
    if not need.required:
        return decide(need, {}, None, now or utcnow())
    finished = session.scalar(
        select(Build.completed_at).where(Build.nvr == nvr).order_by(Build.id.desc()).limit(1)
    )
    return decide(need, latest(session, "koji_build", (nvr,)), finished, now or utcnow())


def decide(
    need: Requirement,
    results: dict[str, TestResult],
    since: datetime | None,
    now: datetime,
) -> Verdict:
    """The verdict from the latest results; ``since`` starts the timeout (None: never)."""
    if not need.required:
        return Verdict("passed", "no gating required")
    failed = [t for t in need.required if t in results and results[t].outcome in UNSATISFYING]
    if failed:
        words = ", ".join(f"{t} {results[t].outcome}" for t in failed)
        return Verdict("failed", f"required test failed: {words}")
    missing = tuple(
        t for t in need.required if t not in results or results[t].outcome not in SATISFYING
    )
    if not missing:
        return Verdict("passed", f"required tests passed: {', '.join(need.required)}")
    pending = ", ".join(f"{t} ({results[t].outcome if t in results else 'no result'})"
                        for t in missing)  # fmt: skip
    if since is not None and now - since >= timedelta(minutes=need.timeout_minutes):
        return Verdict(
            "failed",
            f"timed out waiting for {pending} after {need.timeout_minutes} minutes",
            missing,
        )
    return Verdict("waiting", f"waiting for {pending}", missing)
