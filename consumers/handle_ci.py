"""The ci consumer's handler: record a result, then gate what it is about.

A module build result re-gates every ``done`` module build it names (locked
and re-read first, like every handler); a koji build result refreshes the
stored verdict of the builds Conveyor made with that NVR (display only for
now). Results about anything else are recorded for the site and the API.
"""

from __future__ import annotations

from sqlalchemy import select

from consumers.context import HandlerContext, Outcome
from consumers.events import CINotAResult, CIResult
from consumers.module_gate import gate_module
from conveyor.gating import build_verdict
from models.base import utcnow
from models.build import Build
from models.gating_decision import store
from models.module_build import ModuleBuild, locked
from models.site_dirty import mark_dirty
from models.test_result import TestResult, record


def result(ctx: HandlerContext, event: CIResult | CINotAResult) -> Outcome:
    if isinstance(event, CINotAResult):
        return Outcome.ignored(event.reason)
    now = utcnow()
    row = TestResult(
        message_id=ctx.message_id, source=event.source, artifact_type=event.artifact_type,
        artifact=event.artifact, testcase=event.testcase, outcome=event.outcome,
        raw_outcome=event.raw_outcome[:64], branch=event.branch, ref_url=event.ref_url,
        result_at=event.result_at or now, received_at=now,
    )  # fmt: skip
    if record(ctx.session, row) is None:
        return Outcome.ignored(f"duplicate: result message {ctx.message_id} already recorded")
    what = f"{event.testcase} {event.outcome} for {event.artifact_type} {event.artifact}"
    if event.artifact_type == "module":
        return Outcome.handled(f"recorded {what}; {_gate_modules(ctx, event.artifact)}")
    if event.artifact_type == "koji_build":
        return Outcome.handled(f"recorded {what}; {_judge_builds(ctx, event.artifact)}")
    return Outcome.handled(f"recorded {what}")


def _gate_modules(ctx: HandlerContext, identifier: str) -> str:
    said = []
    for module_id in module_builds_named(ctx, identifier):
        module = locked(ctx.session, module_id)
        if module is None:
            continue
        verdict = gate_module(ctx, module)
        state = f"{module.state}" + (
            f", gate {verdict.outcome}: {verdict.reason}" if verdict else ""
        )
        said.append(f"module build #{module.id} {state}")
    return "; ".join(said) or "no module build of ours"


def module_builds_named(ctx: HandlerContext, identifier: str) -> list[int]:
    """Module builds a result names: ``name:stream:version[:context]`` or koji's
    ``name-stream-version[.context]`` (where the stream's dashes became underscores)."""
    parsed = parse_module_identifier(identifier)
    if parsed is None:
        return []
    name, stream, version, context = parsed
    query = select(ModuleBuild).where(ModuleBuild.name == name, ModuleBuild.version == version)
    return [
        m.id
        for m in ctx.session.scalars(query.order_by(ModuleBuild.id))
        if stream in (m.stream, m.stream.replace("-", "_"))
        and (context is None or context == m.context)
    ]


def parse_module_identifier(identifier: str) -> tuple[str, str, int, str | None] | None:
    parts = identifier.split(":")
    if len(parts) in (3, 4, 5):  # NSV, NSVC, NSVCA
        name, stream, version = parts[:3]
        context = parts[3] if len(parts) > 3 else None
    else:
        pieces = identifier.rsplit("-", 2)
        if len(pieces) != 3:
            return None
        name, stream, tail = pieces
        version, _, context_part = tail.partition(".")
        context = context_part or None
    if not version.isdigit() or not name or not stream:
        return None
    return name, stream, int(version), context


def _judge_builds(ctx: HandlerContext, nvr: str) -> str:
    builds = ctx.session.scalars(select(Build).where(Build.nvr == nvr).order_by(Build.id)).all()
    if not builds:
        return "no build of ours"
    build = builds[-1]
    verdict = build_verdict(ctx.session, nvr, build.branch, ctx.settings)
    store(
        ctx.session, outcome=verdict.outcome, reason=verdict.reason, missing=verdict.missing,
        nvr=nvr,
    )  # fmt: skip
    mark_dirty(ctx.session, "package", build.package_id)
    return f"build {nvr} gate {verdict.outcome}: {verdict.reason}"
