"""CI gating end to end: a module build waits at done for CI, then the CI simulator decides.

Real RabbitMQ, real consumer processes (distgit, koji, module, ci), the sandbox
koji hub, a real dist-git push, and ``sandbox.ci_simulator`` publishing CI-spec
results (``org.centos.sandbox.ci.redhat-module.test.complete``) on the bus.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from models import GatingDecision, ModuleBuild, ModuleBuildTransition, TestResult
from sandbox.broker import RabbitMQ
from sandbox.ci_simulator import MODULE_TESTCASE
from sandbox.modulemd_template import modulemd
from sandbox.system import Sandbox, SandboxOptions

pytestmark = pytest.mark.integration

REF = "gate-1"  # a component branch that maps to no koji target: no rpm builds on push


@pytest.fixture
def box(rabbitmq: RabbitMQ, tmp_path: Path) -> Iterator[Sandbox]:
    gating = {"rules": [{"artifact": "module", "stream": "main", "required": [MODULE_TESTCASE]}]}
    options = SandboxOptions(
        koji_delay=0.3, allowed_pushers=("alice",), extra_settings={"gating": gating},
        ci_outcomes={"gated-bad:*": "failed"}, ci_default="passed",
    )  # fmt: skip
    sandbox = Sandbox(tmp_path / "box", options, broker=rabbitmq)
    sandbox.start()
    yield sandbox
    sandbox.stop()


def _module(box: Sandbox, name: str) -> ModuleBuild | None:
    with box.session_factory() as session:
        return session.scalars(select(ModuleBuild).where(ModuleBuild.name == name)).one_or_none()


def _decision(box: Sandbox, module_id: int) -> GatingDecision | None:
    with box.session_factory() as session:
        query = select(GatingDecision).where(GatingDecision.module_build_id == module_id)
        return session.scalars(query).one_or_none()


def _steps(box: Sandbox, module_id: int) -> list[tuple[str, str]]:
    with box.session_factory() as session:
        rows = session.scalars(
            select(ModuleBuildTransition)
            .where(ModuleBuildTransition.module_build_id == module_id)
            .order_by(ModuleBuildTransition.id)
        ).all()
        return [(r.to_state, r.cause) for r in rows]


def test_ci_pass_releases_a_module_and_a_failure_keeps_one_done(box: Sandbox) -> None:
    for package in ("gated-a", "gated-b"):
        box.packager.create_package(package, "1.0", branches=(REF,), pusher="alice")
    box.packager.create_module("gated-good", "main", modulemd({"gated-a": 1}, REF), pusher="alice")
    box.packager.create_module("gated-bad", "main", modulemd({"gated-b": 1}, REF), pusher="alice")

    def settled(name: str, states: tuple[str, ...]) -> bool:
        module = _module(box, name)
        return module is not None and module.state in states

    box.wait_for(lambda: settled("gated-good", ("ready", "failed")), 180, "gated-good ready")
    good = _module(box, "gated-good")
    assert good.state == "ready", good.state_reason
    assert good.state_reason == f"CI gating passed: required tests passed: {MODULE_TESTCASE}"
    steps = _steps(box, good.id)
    assert [s for s, _ in steps] == ["init", "wait", "build", "done", "ready"]
    # done and ready came from different messages: the ready one is the CI result's
    assert steps[-1][1] != steps[-2][1]
    assert _decision(box, good.id).outcome == "passed"

    box.wait_for(
        lambda: (
            (d := _module(box, "gated-bad")) is not None
            and (g := _decision(box, d.id)) is not None
            and g.outcome == "failed"
        ),
        180,
        "gated-bad to fail its gate",
    )
    bad = _module(box, "gated-bad")
    assert bad.state == "done"
    decision = _decision(box, bad.id)
    assert decision.reason == f"required test failed: {MODULE_TESTCASE} failed"
    with box.session_factory() as session:
        results = session.scalars(
            select(TestResult).where(TestResult.artifact_type == "module").order_by(TestResult.id)
        ).all()
    assert {(r.artifact, r.outcome, r.source) for r in results} == {
        (good.nsvc, "passed", "ci-spec"),
        (bad.nsvc, "failed", "ci-spec"),
    }
    published = [topic for topic, _ in box.ci_simulator.published]
    assert "org.centos.sandbox.ci.redhat-module.test.complete" in published
