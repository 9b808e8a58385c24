"""The ci consumer's handler: results recorded once, module builds gated done -> ready."""

from __future__ import annotations

from sqlalchemy import func, select

from consumers.pipeline import Deps, Incoming, process
from conveyor.settings import parse
from cron.gating import gate_done_modules
from models import Build, GatingDecision, ModuleBuildTransition, Package, TestResult
from tests.unit.fakes import new_id
from tests.unit.module_world import World

TIER0 = "fedora-ci.redhat-module.tier0.functional"
CENTOS = "org.centos.prod.ci."


def _gated_world(world: World, timeout: int = 60) -> World:
    raw = {
        "distgit": {"base_url": world.root.as_uri(), "allowed_scm_hosts": ["localhost"]},
        "gating": {
            "timeout_minutes": timeout,
            "rules": [
                {"artifact": "module", "stream": "main", "required": [TIER0]},
                {"artifact": "koji_build", "stream": "rawhide", "required": ["dist.rpmlint"]},
            ],
        },
    }
    world.settings = parse(raw, env={})
    world.deps = Deps(world.session_factory, world.settings, world.koji)
    return world


def _done_module(world: World, name: str) -> int:
    module_id = world.submit(name, {name: 1})
    world.pump()
    world.build_batch(module_id, [name])
    world.pump()
    return module_id


def _module_result(world: World, module_id: int, result: str, message_id: str | None = None):
    module = world.module(module_id)
    body = {
        "artifact": {"type": "redhat-module", "id": module.id, "name": module.name,
                     "stream": module.stream, "version": str(module.version),
                     "context": module.context, "nsvc": module.nsvc},
        "test": {"namespace": "fedora-ci.redhat-module", "type": "tier0",
                 "category": "functional", "result": result},
        "run": {"url": "https://ci.example.org/run/1"},
        "generated_at": "2026-11-22T12:00:00Z",
        "version": "1.1.14",
    }  # fmt: skip
    topic = CENTOS + "redhat-module.test.complete"
    return process(Incoming(message_id or new_id(), topic, body), world.deps, "ci")


def _decision(world: World, module_id: int) -> GatingDecision:
    with world.session_factory() as session:
        row = session.scalars(
            select(GatingDecision).where(GatingDecision.module_build_id == module_id)
        ).one()
        return row


def test_done_waits_for_ci_then_a_pass_makes_it_ready(tmp_path, koji, session_factory):
    world = _gated_world(World(tmp_path / "distgit", koji, session_factory))
    module_id = _done_module(world, "solo")
    assert world.module(module_id).state == "done"
    decision = _decision(world, module_id)
    assert decision.outcome == "waiting"
    assert decision.reason == f"waiting for {TIER0} (no result)"
    assert decision.missing == [TIER0]

    result = _module_result(world, module_id, "passed", message_id="ci-1")
    assert result.outcome == "handled"
    assert f"module build #{module_id} ready" in result.reason
    module = world.module(module_id)
    assert module.state == "ready"
    assert module.state_reason == f"CI gating passed: required tests passed: {TIER0}"
    assert _decision(world, module_id).outcome == "passed"
    # the ready announcement is queued for the outbox flusher
    assert any(r.outcome == "ignored" for r in world.pump())


def test_a_duplicate_result_message_records_once_and_changes_nothing(
    tmp_path, koji, session_factory
):
    world = _gated_world(World(tmp_path / "distgit", koji, session_factory))
    module_id = _done_module(world, "solo")
    assert _module_result(world, module_id, "passed", message_id="ci-dup").outcome == "handled"
    again = _module_result(world, module_id, "passed", message_id="ci-dup")
    assert again.outcome == "ignored" and again.reason.startswith("duplicate")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(TestResult)) == 1
        steps = session.scalars(
            select(ModuleBuildTransition.to_state).where(
                ModuleBuildTransition.module_build_id == module_id
            )
        ).all()
    assert steps.count("ready") == 1


def test_a_failure_keeps_it_done_with_the_reason_and_a_rerun_that_passes_releases_it(
    tmp_path, koji, session_factory
):
    world = _gated_world(World(tmp_path / "distgit", koji, session_factory))
    module_id = _done_module(world, "solo")
    result = _module_result(world, module_id, "failed")
    assert "gate failed: required test failed" in result.reason
    assert world.module(module_id).state == "done"
    decision = _decision(world, module_id)
    assert (decision.outcome, decision.reason) == (
        "failed", f"required test failed: {TIER0} failed"
    )  # fmt: skip
    later = _module_result(world, module_id, "passed")  # same generated_at, arrived later
    assert later.outcome == "handled"
    assert world.module(module_id).state == "ready"


def test_results_for_unknown_modules_and_other_artifacts_are_recorded_only(
    tmp_path, koji, session_factory
):
    world = _gated_world(World(tmp_path / "distgit", koji, session_factory))
    body = {"task": {"item": "eog:master:1:c0ffee42", "type": "redhat-module", "name": TIER0},
            "result": {"outcome": "PASSED"}}  # fmt: skip
    topic = "org.fedoraproject.prod.taskotron.result.new"
    result = process(Incoming(new_id(), topic, body), world.deps, "ci")
    assert result.outcome == "handled" and result.reason.endswith("no module build of ours")


def test_koji_build_results_store_the_build_verdict(tmp_path, koji, session_factory):
    world = _gated_world(World(tmp_path / "distgit", koji, session_factory))
    with session_factory.begin() as session:
        package = Package(namespace="rpms", name="foo")
        session.add(package)
        session.flush()
        session.add(
            Build(package_id=package.id, branch="rawhide", commit="a" * 40, target="rawhide",
                  source="git+x", state="complete", koji_task_id=1, nvr="foo-1.0-1.fc43")
        )  # fmt: skip
    body = {"task": {"item": "foo-1.0-1.fc43", "type": "koji_build", "name": "dist.rpmlint"},
            "result": {"outcome": "FAILED", "submit_time": "2026-11-22 10:00:00 UTC"}}  # fmt: skip
    result = process(
        Incoming(new_id(), "org.fedoraproject.prod.taskotron.result.new", body), world.deps, "ci"
    )
    assert result.reason.endswith("gate failed: required test failed: dist.rpmlint failed")
    with session_factory() as session:
        row = session.scalars(select(GatingDecision).where(GatingDecision.nvr.is_not(None))).one()
        assert (row.nvr, row.outcome) == ("foo-1.0-1.fc43", "failed")


def test_the_cron_sweep_times_out_missing_results(tmp_path, koji, session_factory):
    world = _gated_world(World(tmp_path / "distgit", koji, session_factory), timeout=0)
    module_id = world.submit("solo", {"solo": 1})
    world.pump()
    world.build_batch(module_id, ["solo"])
    # timeout 0: already judged failed when it reached done
    assert _decision(world, module_id).outcome == "failed"
    counts = gate_done_modules(session_factory, world.settings, koji)
    assert counts == {"failed": 1}
    decision = _decision(world, module_id)
    assert decision.reason == f"timed out waiting for {TIER0} (no result) after 0 minutes"
    assert world.module(module_id).state == "done"


def test_without_rules_done_moves_to_ready_at_once_and_ready_on_done_false_holds(
    tmp_path, koji, session_factory
):
    world = World(tmp_path / "distgit", koji, session_factory)
    module_id = _done_module(world, "solo")
    assert world.module(module_id).state_reason == "CI gating passed: no gating required"
    world.with_settings(ready_on_done=False)
    held = _done_module(world, "other")
    assert world.module(held).state == "done"
    assert "held at done" in _decision(world, held).reason
