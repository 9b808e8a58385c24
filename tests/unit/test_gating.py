"""The gating policy: Greenwave-like verdicts from recorded results and settings."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from conveyor.errors import ConfigError
from conveyor.gating import build_verdict, module_verdict
from conveyor.settings import parse
from models import ModuleBuild, TestResult
from models.test_result import record

DONE_AT = datetime(2026, 11, 22, 12, 0, 0)
TIER0 = "fedora-ci.redhat-module.tier0.functional"
RPMDEPLINT = "rpmdeplint"


def _settings(*rules: dict, timeout: int = 60):
    return parse({"gating": {"timeout_minutes": timeout, "rules": list(rules)}}, env={})


def _module(session, name: str = "eog", stream: str = "master") -> ModuleBuild:
    module = ModuleBuild(
        name=name, stream=stream, version=20261122, context="c0ffee42", scmurl="file:///x",
        commit="a" * 40, owner="alice", modulemd="", state="done", koji_tag="module-x",
        completed_at=DONE_AT,
    )  # fmt: skip
    session.add(module)
    session.flush()
    return module


def _result(session, artifact: str, testcase: str, outcome: str, at: datetime,
            kind: str = "module") -> None:  # fmt: skip
    row = TestResult(
        message_id=str(uuid.uuid4()), source="ci-spec", artifact_type=kind, artifact=artifact,
        testcase=testcase, outcome=outcome, raw_outcome=outcome, result_at=at,
    )  # fmt: skip
    assert record(session, row) is row


RULE = {"artifact": "module", "stream": "master", "required": [TIER0, RPMDEPLINT]}


def test_no_requirements_pass_at_once(session_factory):
    with session_factory.begin() as session:
        module = _module(session)
        verdict = module_verdict(session, module, parse({}, env={}))
        assert (verdict.outcome, verdict.reason, verdict.missing) == (
            "passed", "no gating required", ()
        )  # fmt: skip
        # a rule for another stream or artifact type does not apply either
        other = _settings({"artifact": "module", "stream": "f4*", "required": [TIER0]},
                          {"artifact": "koji_build", "required": [TIER0]})  # fmt: skip
        assert module_verdict(session, module, other).outcome == "passed"


def test_waiting_then_passed(session_factory):
    settings = _settings(RULE)
    with session_factory.begin() as session:
        module = _module(session)
        now = DONE_AT + timedelta(minutes=5)
        verdict = module_verdict(session, module, settings, now)
        assert verdict.outcome == "waiting"
        assert verdict.missing == (TIER0, RPMDEPLINT)
        assert f"{TIER0} (no result)" in verdict.reason
        _result(session, module.nsvc, TIER0, "running", DONE_AT)
        assert f"{TIER0} (running)" in module_verdict(session, module, settings, now).reason
        _result(session, module.nsvc, TIER0, "passed", DONE_AT + timedelta(minutes=1))
        _result(session, module.nsv, RPMDEPLINT, "info", DONE_AT + timedelta(minutes=2))
        verdict = module_verdict(session, module, settings, now)
        assert verdict.outcome == "passed"
        assert verdict.reason == f"required tests passed: {TIER0}, {RPMDEPLINT}"


def test_a_required_failure_fails(session_factory):
    settings = _settings(RULE)
    with session_factory.begin() as session:
        module = _module(session)
        _result(session, module.nsvc, TIER0, "passed", DONE_AT)
        # koji's NVR form of the module names it too
        _result(session, "eog-master-20261122.c0ffee42", RPMDEPLINT, "error", DONE_AT)
        verdict = module_verdict(session, module, settings, DONE_AT)
        assert verdict.outcome == "failed"
        assert verdict.reason == f"required test failed: {RPMDEPLINT} error"


def test_missing_results_time_out(session_factory):
    settings = _settings(RULE, timeout=30)
    with session_factory.begin() as session:
        module = _module(session)
        _result(session, module.nsvc, TIER0, "passed", DONE_AT)
        early = module_verdict(session, module, settings, DONE_AT + timedelta(minutes=29))
        assert early.outcome == "waiting"
        late = module_verdict(session, module, settings, DONE_AT + timedelta(minutes=30))
        assert late.outcome == "failed"
        assert late.reason == f"timed out waiting for {RPMDEPLINT} (no result) after 30 minutes"
        assert late.missing == (RPMDEPLINT,)


def test_an_older_result_arriving_late_does_not_override_a_newer_one(session_factory):
    settings = _settings({"artifact": "module", "required": [TIER0]})
    with session_factory.begin() as session:
        module = _module(session)
        _result(session, module.nsvc, TIER0, "passed", DONE_AT + timedelta(minutes=10))
        _result(session, module.nsvc, TIER0, "failed", DONE_AT + timedelta(minutes=1))  # late
        assert module_verdict(session, module, settings, DONE_AT).outcome == "passed"
        _result(session, module.nsvc, TIER0, "failed", DONE_AT + timedelta(minutes=20))  # rerun
        assert module_verdict(session, module, settings, DONE_AT).outcome == "failed"


def test_per_stream_and_name_patterns_and_the_shortest_timeout(session_factory):
    settings = _settings(
        {"artifact": "module", "stream": "f4?", "required": [TIER0], "timeout_minutes": 10},
        {"artifact": "module", "name": "node*", "required": [RPMDEPLINT]},
        timeout=100,
    )
    with session_factory.begin() as session:
        f43 = _module(session, "eog", "f43")
        master = _module(session, "eog", "master")
        node = _module(session, "nodejs", "f43")
        at = DONE_AT + timedelta(minutes=11)
        assert module_verdict(session, master, settings, at).outcome == "passed"
        assert module_verdict(session, f43, settings, at).missing == (TIER0,)
        assert module_verdict(session, f43, settings, at).outcome == "failed"  # 10 min rule
        verdict = module_verdict(session, node, settings, at)
        assert verdict.missing == (TIER0, RPMDEPLINT) and verdict.outcome == "failed"


def test_build_verdict_by_branch(session_factory):
    settings = _settings({"artifact": "koji_build", "stream": "rawhide", "required": [TIER0]})
    with session_factory.begin() as session:
        nvr = "foo-1.0-1.fc43"
        assert build_verdict(session, nvr, "f43", settings).outcome == "passed"
        assert build_verdict(session, nvr, "rawhide", settings).outcome == "waiting"
        _result(session, nvr, TIER0, "failed", DONE_AT, kind="koji_build")
        _result(session, nvr, TIER0, "passed", DONE_AT, kind="module")  # another artifact type
        verdict = build_verdict(session, nvr, "rawhide", settings)
        assert (verdict.outcome, verdict.reason) == (
            "failed",
            f"required test failed: {TIER0} failed",
        )


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"rules": [{"artifact": "rpm", "required": ["x"]}]}, "gating.rules[0].artifact"),
        ({"rules": [{"artifact": "module", "required": []}]}, "gating.rules[0].required"),
        ({"rules": [{"artifact": "module", "required": ["x"], "when": 1}]}, "rules[0].when"),
        ({"timeout_minutes": -1}, "gating.timeout_minutes"),
        ({"rules": {"artifact": "module"}}, "gating.rules: expected a list"),
        ({"waivers": []}, "gating.waivers: unknown key"),
        ([], "gating: expected a mapping"),
    ],
)
def test_bad_gating_settings_are_reported(raw, problem):
    with pytest.raises(ConfigError) as info:
        parse({"gating": raw}, env={})
    assert any(problem in p for p in info.value.problems), info.value.problems
