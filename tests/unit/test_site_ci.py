"""CI verdicts, module knowledge and EOL/SLA on package and module build pages, and their marks."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from models.gating_decision import store
from models.module_component_ref import ModuleComponentRef
from models.module_stream import ModuleStreamDefinition
from models.site_dirty import pending
from models.test_result import TestResult
from site_generator.context_extras import Extras
from site_generator.gather_extras import DecisionRow, ExtrasGathered, ResultRow
from tests.unit.site_world import HOSTILE, NOW, XSS, load, populate, render


def _site(factory, tmp_path):
    ids = populate(factory)
    out = tmp_path / "site"
    render(factory, out)
    return ids, out


def test_package_page_shows_the_verdict_and_latest_result_per_test_case(session_factory, tmp_path):
    _ids, out = _site(session_factory, tmp_path)
    bash = load(out, "api/v1/packages/rpms/bash.json")
    assert [v["subject"] for v in bash["ci"]] == ["bash-5.2.27-1.fc41"]
    verdict = bash["ci"][0]
    assert verdict["verdict"] == "failed" and verdict["reason"].startswith("1 of 2 required")
    results = {r["testcase"]: (r["outcome"], r["ref_url"]) for r in verdict["results"]}
    # t2 (failed) is newer than t1 (passed) for the same test case: it wins.
    assert results == {
        "fedora-ci.koji-build.tier0.functional": ("failed", "javascript:alert(1)"),
        XSS: ("passed", None),
    }
    html = (out / "packages/rpms/bash.html").read_text()
    section = html[html.index('id="h-ci"') : html.index('id="h-composes"')]
    assert 'class="state state-failed">failed</span>' in section
    assert 'href="javascript' not in html and "<code>javascript:alert(1)</code>" in section
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert load(out, "api/v1/packages/rpms/zsh.json")["ci"] == []


def test_package_page_lists_the_streams_whose_current_definition_includes_it(
    session_factory, tmp_path
):
    ids, out = _site(session_factory, tmp_path)
    bash = load(out, "api/v1/packages/rpms/bash.json")
    # nodejs:20's older definition said "old-ref": only the current one counts.
    assert bash["modules"] == [  # by name, stream; linked to the stream's newest build
        {"name": XSS, "stream": "1", "ref": XSS, "newest_build_href": None},
        {"name": "nodejs", "stream": "20", "ref": "f41",
         "newest_build_href": f"modules/{ids['ready']}.html"},
    ]  # fmt: skip
    html = (out / "packages/rpms/bash.html").read_text()
    assert "<bdi>nodejs:20</bdi>" in html and "<code>f41</code>" in html
    assert f'<a href="../../modules/{ids["ready"]}.html">nodejs:20</a>' in html
    assert "old-ref" not in html and "<script" not in html
    # containers/bash is not rpms/bash
    assert load(out, "api/v1/packages/containers/bash.json")["modules"] == []


def test_module_page_shows_gating_results_and_lifecycle(session_factory, tmp_path):
    ids, out = _site(session_factory, tmp_path)
    ready = load(out, f"api/v1/module-builds/{ids['ready']}.json")
    assert ready["ci"]["verdict"] == "passed"
    assert ready["ci"]["subject"] == "nodejs:20:20240401000000:c0ffee00"
    # The result names the module as name:stream:version: it belongs to this build.
    assert [r["testcase"] for r in ready["ci"]["results"]] == ["module.tier0"]
    assert ready["lifecycle"] == {
        "eol": "2025-06-01",
        "servicelevels": [
            {"name": "bug_fixes", "eol": None},
            {"name": "rawhide", "eol": "2025-06-01"},
        ],
    }
    stuck = load(out, f"api/v1/module-builds/{ids['stuck']}.json")
    assert stuck["ci"]["verdict"] == "waiting" and stuck["ci"]["missing"] == ["module.tier0"]
    assert stuck["ci"]["results"] == []
    html = (out / f"modules/{ids['stuck']}.html").read_text()
    assert "Waiting for: <code>module.tier0</code>" in html
    assert (
        '<time datetime="2025-06-01">2025-06-01</time>'
        in (out / f"modules/{ids['ready']}.html").read_text()
    )
    broken = load(out, f"api/v1/module-builds/{ids['broken']}.json")
    assert broken["ci"] is None and broken["lifecycle"]["eol"] is None


def test_results_and_decisions_mark_the_pages_that_show_them(session_factory, tmp_path):
    ids = populate(session_factory)
    render(session_factory, tmp_path / "site")
    with session_factory.begin() as s:
        s.add(TestResult(message_id="t9", source="resultsdb", artifact_type="koji_build",
                         artifact="bash-5.2.26-1.fc41", testcase="x", outcome="passed",
                         raw_outcome="PASSED", result_at=NOW))  # fmt: skip
        s.add(TestResult(message_id="t10", source="resultsdb", artifact_type="module",
                         artifact=f"perl:20:20240401000000:{HOSTILE}", testcase="x",
                         outcome="passed", raw_outcome="PASSED", result_at=NOW))  # fmt: skip
        s.add(TestResult(message_id="t11", source="resultsdb", artifact_type="module",
                         artifact="not:a:version", testcase="x", outcome="passed",
                         raw_outcome="PASSED", result_at=NOW))  # fmt: skip
        s.flush()
        store(s, outcome="passed", reason="fixed", missing=(), module_build_id=ids["stuck"])
    with session_factory() as s:
        marks = {(r.kind, r.key) for r in pending(s)}
    assert marks == {("package", ids["bash"]), ("module_build", ids["stuck"])}


def test_a_new_definition_marks_its_packages_and_module_builds(session_factory, tmp_path):
    ids = populate(session_factory)
    render(session_factory, tmp_path / "site")
    with session_factory.begin() as s:
        d = ModuleStreamDefinition(name="nodejs", stream="20", source_kind="commit", source="c2",
                                   mdversion=2, eol=date(2026, 1, 1))  # fmt: skip
        s.add(d)
        s.flush()
        s.add(ModuleComponentRef(definition_id=d.id, rpm="zsh", ref="main"))
    with session_factory() as s:
        marks = {(r.kind, r.key) for r in pending(s)}
    zsh = {key for kind, key in marks if kind == "package"}
    assert ("module_build", ids["ready"]) in marks and len(zsh) == 1
    out = tmp_path / "again"
    render(session_factory, out)
    assert load(out, "api/v1/packages/rpms/zsh.json")["modules"] == [
        {"name": "nodejs", "stream": "20", "ref": "main",
         "newest_build_href": f"modules/{ids['ready']}.html"}
    ]  # fmt: skip
    assert load(out, "api/v1/packages/rpms/bash.json")["modules"] == [
        {"name": XSS, "stream": "1", "ref": XSS, "newest_build_href": None}
    ]  # nodejs:20's current definition no longer includes bash
    assert load(out, f"api/v1/module-builds/{ids['ready']}.json")["lifecycle"]["eol"] == (
        "2026-01-01"
    )


def test_verdict_without_decision_and_result_order():
    at = NOW.replace(tzinfo=UTC)
    extras = Extras(
        ExtrasGathered(
            decisions=(DecisionRow(7, "failed", "r", ["a"], NOW),),
            results=(
                ResultRow("n-1-1", "b", "passed", None, NOW),
                ResultRow("n-1-1", "a", "error", "http://ci/a", NOW),
                ResultRow("n-1-1", "a", "passed", "http://ci/a2", NOW + timedelta(minutes=1)),
            ),
        )
    )
    only_results = extras.verdict("n-1-1", "n-1-1")
    assert only_results is not None and only_results.verdict is None
    assert only_results.verdict_class == "state-unknown"
    assert [(r.testcase, r.outcome, r.link) for r in only_results.results] == [
        ("a", "passed", "http://ci/a2"),
        ("b", "passed", None),
    ]
    decided = extras.verdict("m:1:2:c", 7)
    assert decided is not None and decided.verdict == "failed" and decided.missing == ("a",)
    assert decided.decided_at == at and decided.results == ()
    assert extras.verdict("nothing", "nothing") is None
