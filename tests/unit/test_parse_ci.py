"""CI result parsers: every captured CI message, and the CI messages spec's shapes."""

from __future__ import annotations

from datetime import datetime

import pytest

from consumers import dispatch
from consumers.parse_ci import CINotAResult, CIResult, parse_ci, parse_resultsdb, timestamp
from conveyor.errors import Invalid
from models.test_result import ARTIFACT_TYPES, OUTCOMES, SOURCES
from tests.unit.fakes import MESSAGES, load_message

CI_FILES = sorted((MESSAGES / "ci_result").glob("*.json"))


def _parse(name: str) -> CIResult | CINotAResult:
    data = load_message(MESSAGES / "ci_result" / name)
    route = dispatch.route_for(data["topic"], "ci")
    assert route is not None, data["topic"]
    return route.parser(data["topic"], data["body"])


@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: p.name)
def test_every_captured_ci_message_is_a_result(path):
    event = _parse(path.name)
    assert isinstance(event, CIResult), event
    assert event.source in SOURCES
    assert event.artifact_type in ARTIFACT_TYPES
    assert event.outcome in OUTCOMES
    assert event.artifact and event.testcase and event.raw_outcome
    assert "\n" not in event.artifact + event.testcase


def test_the_corpus_has_all_three_families():
    assert len(CI_FILES) == 69
    sources = {_parse(p.name).source for p in CI_FILES}
    assert sources == {"ci-spec", "taskotron"}


def test_a_build_pipeline_result_names_the_koji_build():
    event = _parse("017.json")  # ci.pipeline.allpackages-build.image.complete, SUCCESS
    assert (event.artifact_type, event.artifact) == ("koji_build", "nmstate-0.0.5-2.fc28")
    assert event.testcase == "org.centos.prod.ci.pipeline.allpackages-build.image.complete"
    assert (event.outcome, event.branch) == ("passed", "f28")
    assert event.ref_url.startswith("https://jenkins-continuous-infra.apps.ci.centos.org/")


def test_running_and_queued_stages_share_the_complete_test_case():
    queued, running = _parse("019.json"), _parse("034.json")
    assert queued.outcome == "queued" and running.outcome == "running"
    assert queued.testcase.endswith("allpackages-build.image.complete")
    assert running.testcase.endswith("allpackages-build.package.test.functional.complete")


def test_a_failed_image_stage_fails_and_an_ignored_one_is_not_applicable():
    failed = _parse("076.json")
    assert (failed.outcome, failed.raw_outcome) == ("failed", "complete FAILED")
    assert failed.artifact == "rpms/grub2@77d0810cf0c2dae524736a0c39decffb95c20f4c"
    ignored = _parse("024.json")  # a scratch build: no NVR, only its koji task
    assert (ignored.artifact_type, ignored.artifact) == ("koji_task", "34128170")
    assert ignored.outcome == "not_applicable"


def test_pull_request_pipelines_name_the_pull_request():
    event = _parse("035.json")
    assert (event.artifact_type, event.artifact) == ("pull_request", "rpms/calc#PR-1")


def test_keys_with_trailing_spaces_still_parse():
    event = _parse("081.json")  # "ref ", "compose_url " ... in the body
    assert event.artifact == "rpms/nspr@fff28640d156c8b5e7302b7736e16442087b6007"


def test_taskotron_results_keep_their_own_time():
    event = _parse("105.json")
    assert event.source == "taskotron"
    assert (event.artifact_type, event.artifact) == ("koji_build", "perl-PAR-Packer-1.037-1.fc27")
    assert (event.testcase, event.outcome, event.raw_outcome) == (
        "dist.rpmlint",
        "passed",
        "PASSED",
    )
    assert event.result_at == datetime(2017, 5, 29, 8, 50, 51)
    assert _parse("104.json").artifact_type == "bodhi_update"


# -- shapes the corpus does not hold: the spec's 1.x and 0.x, resultsdb ---------------------

KOJI_1X = {
    "artifact": {"type": "koji-build", "id": 34126640, "issuer": "alice",
                 "component": "nmstate", "nvr": "nmstate-0.0.5-2.fc28", "scratch": False},
    "test": {"category": "functional", "namespace": "fedora-ci.koji-build", "type": "tier0",
             "result": "failed", "runtime": 120},
    "run": {"url": "https://ci.example.org/job/1", "log": "https://ci.example.org/job/1/log"},
    "pipeline": {"id": "p-1", "name": "tier0"},
    "generated_at": "2026-11-22T10:00:00.123456Z",
    "version": "1.1.14",
}  # fmt: skip
MODULE_1X = {
    "artifact": {"type": "redhat-module", "id": 7, "issuer": "alice", "name": "nodejs",
                 "stream": "10", "version": "20261122000000", "context": "6c81f848",
                 "nsvc": "nodejs:10:20261122000000:6c81f848"},
    "test": {"category": "functional", "namespace": "fedora-ci.redhat-module", "type": "tier0",
             "result": "passed"},
    "run": {"url": "https://ci.example.org/job/2"},
    "generated_at": "2026-11-22T11:00:00+01:00",
    "version": "1.1.14",
}  # fmt: skip


def test_spec_1x_koji_build_complete():
    event = parse_ci("org.centos.prod.ci.koji-build.test.complete", KOJI_1X)
    assert event == CIResult(
        source="ci-spec", artifact_type="koji_build", artifact="nmstate-0.0.5-2.fc28",
        testcase="fedora-ci.koji-build.tier0.functional", outcome="failed", raw_outcome="failed",
        result_at=datetime(2026, 11, 22, 10, 0, 0, 123456), ref_url="https://ci.example.org/job/1",
    )  # fmt: skip


def test_spec_1x_module_complete_names_the_nsvc_and_converts_the_zone():
    event = parse_ci("org.fedoraproject.prod.ci.redhat-module.test.complete", MODULE_1X)
    assert (event.artifact_type, event.artifact) == ("module", "nodejs:10:20261122000000:6c81f848")
    assert event.outcome == "passed"
    assert event.result_at == datetime(2026, 11, 22, 10, 0, 0)


def test_spec_error_queued_and_running_take_the_event_from_the_topic():
    body = {**MODULE_1X, "test": {k: v for k, v in MODULE_1X["test"].items() if k != "result"}}
    body["error"] = {"reason": "infrastructure failure"}
    for event, expected in (("error", "error"), ("queued", "queued"), ("running", "running")):
        parsed = parse_ci(f"org.centos.prod.ci.redhat-module.test.{event}", body)
        assert parsed.outcome == expected


def test_spec_0x_keeps_the_test_at_the_top_level():
    body = {"artifact": {"type": "redhat-module", "name": "eog", "stream": "master",
                         "version": "20180101", "context": "c0ffee42"},
            "namespace": "osci", "type": "tier1", "category": "functional",
            "status": "PASSED", "ci": {"name": "OSCI"}, "version": "0.2.1"}  # fmt: skip
    event = parse_ci("org.centos.prod.ci.redhat-module.test.complete", body)
    assert (event.artifact, event.testcase) == (
        "eog:master:20180101:c0ffee42",
        "osci.tier1.functional",
    )
    assert event.outcome == "passed" and event.result_at is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"test": KOJI_1X["test"]}, "body.artifact"),
        ({**KOJI_1X, "artifact": {"type": "koji-build"}}, "body.artifact"),
        ({**KOJI_1X, "test": {**KOJI_1X["test"], "result": "splendid"}}, "unknown outcome"),
        ({**KOJI_1X, "test": {"category": "functional"}}, "namespace and type"),
        ([1, 2], "expected an object"),
    ],
)
def test_malformed_spec_results_are_invalid_with_a_reason(body, reason):
    with pytest.raises(Invalid, match=reason):
        parse_ci("org.centos.prod.ci.koji-build.test.complete", body)


def test_ci_topics_without_a_result_are_not_results():
    event = parse_ci("org.centos.prod.ci.koji-build.test.waived", KOJI_1X)
    assert isinstance(event, CINotAResult) and "waived" in event.reason
    assert isinstance(parse_ci("org.centos.prod.ci.koji-build.build.complete", {}), CINotAResult)


def test_resultsdb_both_eras():
    modern = {
        "id": 9, "outcome": "NEEDS_INSPECTION", "submit_time": "2026-11-22T09:00:00.000000",
        "testcase": {"name": "fedora-ci.koji-build.tier0.functional", "ref_url": None},
        "data": {"item": ["foo-1.0-1.fc43"], "type": ["koji_build"]},
        "ref_url": "https://ci.example.org/r/9",
    }  # fmt: skip
    event = parse_resultsdb("org.fedoraproject.prod.resultsdb.result.new", modern)
    assert (event.source, event.artifact, event.outcome) == (
        "resultsdb",
        "foo-1.0-1.fc43",
        "needs_inspection",
    )
    assert event.result_at == datetime(2026, 11, 22, 9, 0)
    wrapped = parse_resultsdb("x", {"result": modern})
    assert wrapped == event
    old = {"task": {"item": "eog:master:1:c", "type": "redhat-module", "name": "rpmdeplint"},
           "result": {"outcome": "FAILED", "submit_time": "2017-01-01 00:00:00 UTC"}}  # fmt: skip
    event = parse_resultsdb("x", old)
    assert (event.artifact_type, event.outcome) == ("module", "failed")
    with pytest.raises(Invalid, match=r"body\.data\.item"):
        parse_resultsdb("x", {**modern, "data": {}})


def test_timestamps_of_every_era():
    assert timestamp("2015-12-16 17:14:21 UTC") == datetime(2015, 12, 16, 17, 14, 21)
    assert timestamp("2019-01-01T00:00:00Z") == datetime(2019, 1, 1)
    assert timestamp("yesterday") is None and timestamp(None) is None


def test_centos_prefix_only_routes_ci():
    assert dispatch.route_for("org.centos.prod.ci.koji-build.test.complete").consumer == "ci"
    assert dispatch.route_for("org.centos.stage.ci.pipeline.package.running").consumer == "ci"
    assert dispatch.route_for("org.centos.prod.buildsys.tag") is None
    assert dispatch.route_for("org.centos.prod.git.receive") is None
    assert dispatch.bare("org.centos.prod.ci.koji-build.test.complete") is None


def test_what_the_sandbox_ci_simulator_publishes_parses_back():
    from sandbox.ci_simulator import (
        BUILD_TESTCASE,
        MODULE_TESTCASE,
        build_result,
        module_result,
        outcome_for,
    )

    module = {
        "id": 3,
        "name": "eog",
        "stream": "main",
        "version": "20261122",
        "context": "c0ffee42",
    }
    topic, body = module_result(module, "failed")
    assert topic == "org.centos.sandbox.ci.redhat-module.test.complete"
    event = dispatch.route_for(topic, "ci").parser(topic, body)
    assert (event.artifact_type, event.artifact) == ("module", "eog:main:20261122:c0ffee42")
    assert (event.testcase, event.outcome) == (MODULE_TESTCASE, "failed")
    topic, body = build_result("foo-1.0-1.fc43", 12, "error")
    assert topic == "org.centos.sandbox.ci.koji-build.test.error"
    event = parse_ci(topic, body)
    assert (event.artifact, event.testcase, event.outcome) == (
        "foo-1.0-1.fc43",
        BUILD_TESTCASE,
        "error",
    )
    outcomes = {"eog:*": "failed", "foo-*": None}
    assert outcome_for("eog:main:1:c", outcomes, "passed") == "failed"
    assert outcome_for("foo-1.0-1", outcomes, "passed") is None
    assert outcome_for("bar-1.0-1", outcomes, "passed") == "passed"


def test_an_overlong_branch_is_dropped_not_stored():
    body = {**KOJI_1X, "artifact": {**KOJI_1X["artifact"], "branch": "b" * 300}}
    assert parse_ci("org.centos.prod.ci.koji-build.test.complete", body).branch is None
    body["artifact"]["branch"] = "f43"
    assert parse_ci("org.centos.prod.ci.koji-build.test.complete", body).branch == "f43"
