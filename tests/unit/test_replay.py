"""``conveyor replay``: the captured Fedora messages through the consumers' own path."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from consumers.replay import UnreadableMessage, replay
from conveyor.cli import main
from tests.unit.fakes import CONFIG, MESSAGES, corpus, load_message

BASE = "https://src.fedoraproject.org"
OUTCOMES = {"handled", "ignored", "rejected"}


def expected_target(branch: str) -> str | None:
    """The default branch mapping, written out independently of conveyor.settings."""
    if branch in ("rawhide", "main", "master"):
        return "rawhide"
    for prefix in ("f", "epel"):
        m = re.fullmatch(prefix + r"([0-9]+)", branch)
        if m:
            return f"{prefix}{m.group(1)}-candidate"
    return None


def expected_push(path: Path) -> dict:
    """What a dist-git push file should lead to, read straight from the file."""
    data = load_message(path)
    body = data["body"]
    if "commit" in body:  # fedmsg era: one message per commit
        commit = body["commit"]
        branch = commit["branch"]
        repo = commit.get("repo")
        if repo is None:  # topic: ...git.receive.<repo>.<branch>
            tail = data["topic"].split(".git.receive.", 1)[1]
            repo = tail.removesuffix("." + branch)
        namespace = commit.get("namespace", "rpms")
        rev, fork = commit["rev"], False
    else:  # pagure: one message per push
        repo = body["repo"]["name"]
        namespace = body["repo"].get("namespace", "rpms")
        branch, rev = body["branch"], body["end_commit"]
        fork = body["repo"].get("parent") is not None
    target = expected_target(branch)
    buildable = namespace == "rpms" and not fork and target is not None
    return {
        "buildable": buildable,
        "action": {
            "kind": "koji.build",
            "source": f"git+{BASE}/{namespace}/{repo}.git#{rev}",
            "target": target,
        },
        "fork": fork,
        "namespace": namespace,
        "target": target,
    }


PUSHES = corpus("distgit_push")


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    monkeypatch.delenv("CONVEYOR_SETTINGS", raising=False)
    monkeypatch.delenv("CONVEYOR_DATABASE_URL", raising=False)


@pytest.fixture(scope="module")
def corpus_reports():
    from conveyor.settings import parse

    return list(replay([MESSAGES], parse({}, env={}), dry_run=True))


def test_every_captured_message_gets_an_outcome_with_a_reason(corpus_reports):
    files = corpus()
    assert len(corpus_reports) == len(files) > 400
    assert [r.file for r in corpus_reports] == [str(p) for p in files]
    for report in corpus_reports:
        assert report.outcome in OUTCOMES, report
        assert report.reason, report
    topics = {str(p): load_message(p)["topic"] for p in files}
    assert all(r.topic == topics[r.file] for r in corpus_reports)


def test_nothing_but_dist_git_pushes_asks_koji_for_anything(corpus_reports):
    for report in corpus_reports:
        if "/distgit_push/" not in report.file:
            assert report.actions == [], report


def test_families_without_a_route_are_ignored(corpus_reports):
    for report in corpus_reports:
        family = Path(report.file).parent.name
        if family in ("bodhi", "module_build", "other", "koji_untag"):
            assert report.outcome == "ignored", report
            assert report.reason.startswith("no handler for topic"), report


# pungi.compose.status.change (every era) and odcs.compose.state-changed
COMPOSE_STATUS_FILES = {"059.json", "061.json", "062.json", "063.json"}


def test_compose_statuses_are_recorded_and_the_other_compose_topics_ignored(corpus_reports):
    seen = 0
    for report in corpus_reports:
        path = Path(report.file)
        if path.parent.name != "compose":
            continue
        seen += 1
        if path.name in COMPOSE_STATUS_FILES:
            assert report.outcome == "handled", report
            assert " recorded as #" in report.reason, report
        else:  # the old release scripts' steps, Pungi's phase/image notices: no status
            assert report.outcome == "ignored", report
            assert report.reason.startswith("no handler for topic"), report
    assert seen == 37


def test_every_ci_result_is_recorded(corpus_reports):
    """The ci consumer records every captured CI message (none names a module build of ours)."""
    ci = [r for r in corpus_reports if Path(r.file).parent.name == "ci_result"]
    assert len(ci) == 69
    for report in ci:
        assert report.outcome == "handled", report
        assert report.reason.startswith("recorded "), report


def test_tags_and_repos_of_other_tags_are_ignored(corpus_reports):
    """Fedora's tags are not module build tags; a repo.done naming no tag is malformed."""
    seen = 0
    for report in corpus_reports:
        family = Path(report.file).parent.name
        if family not in ("koji_tag", "koji_repo_done"):
            continue
        seen += 1
        if report.file.endswith("koji_repo_done/002.json"):  # body is {"instance": "arm"}
            assert report.outcome == "rejected", report
            assert "body.tag" in report.reason
        else:
            assert report.outcome == "ignored", report
            assert "module build" in report.reason, report
    assert seen == 12


def test_koji_messages_of_other_builds_are_ignored(corpus_reports):
    for report in corpus_reports:
        if Path(report.file).parent.name in ("koji_build_state", "koji_task_state"):
            assert report.outcome == "ignored", report
            assert report.reason


@pytest.mark.parametrize("path", PUSHES, ids=lambda p: p.name)
def test_each_push_alone(settings, path):
    """Replayed on its own, a buildable push asks koji for exactly one build."""
    expected = expected_push(path)
    (report,) = list(replay([path], settings, dry_run=True))
    if expected["buildable"]:
        assert report.outcome == "handled", report
        assert report.actions == [expected["action"]]
    else:
        assert report.outcome == "ignored", report
        assert report.actions == []
        if expected["fork"]:
            assert "fork" in report.reason
        elif expected["namespace"] != "rpms":
            assert f"namespace {expected['namespace']!r}" in report.reason
        else:
            assert "maps to no koji target" in report.reason


def test_the_corpus_pushes_cover_every_kind():
    kinds = [expected_push(p) for p in PUSHES]
    assert sum(k["buildable"] for k in kinds) >= 5
    assert any(k["fork"] for k in kinds)
    assert any(k["namespace"] != "rpms" for k in kinds)
    assert {k["target"] for k in kinds if k["buildable"]} >= {
        "rawhide", "f24-candidate", "epel7-candidate"
    }


def test_pushes_in_one_run_build_each_commit_once(corpus_reports):
    by_file = {r.file: r for r in corpus_reports}
    seen: set[tuple[str, str]] = set()
    for path in PUSHES:
        expected = expected_push(path)
        report = by_file[str(path)]
        key = (expected["action"]["source"], expected["action"]["target"])
        if not expected["buildable"]:
            assert (report.outcome, report.actions) == ("ignored", [])
        elif key in seen:  # the same commit came earlier under another topic
            assert report.outcome == "ignored"
            assert "already requested" in report.reason
            assert report.actions == []
        else:
            assert report.outcome == "handled"
            assert report.actions == [expected["action"]]
            seen.add(key)
    all_actions = [a for r in corpus_reports for a in r.actions]
    assert len(all_actions) == len(seen)


def test_the_same_file_twice_is_handled_twice(settings):
    path = MESSAGES / "distgit_push" / "005.json"
    assert "id" not in load_message(path)
    first, second = list(replay([path, path], settings, dry_run=True))
    assert first.outcome == "handled"
    assert len(first.actions) == 1
    # a fresh id each time: not an inbox duplicate, but the commit is already requested
    assert second.outcome == "ignored"
    assert "already requested" in second.reason
    assert "duplicate" not in second.reason
    assert second.actions == []


def test_a_message_with_an_id_twice_is_a_duplicate(settings, tmp_path):
    data = load_message(MESSAGES / "distgit_push" / "005.json")
    data["id"] = "fixed-id-1"
    path = tmp_path / "with-id.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    first, second = list(replay([path, path], settings, dry_run=True))
    assert first.outcome == "handled"
    assert second.outcome == "ignored"
    assert "duplicate" in second.reason


def test_json_lines_input(settings, tmp_path):
    lines = [
        json.dumps(load_message(MESSAGES / "distgit_push" / "001.json")),
        "",
        json.dumps(load_message(MESSAGES / "distgit_push" / "012.json")),
        json.dumps(load_message(MESSAGES / "koji_task_state" / "003.json")),
    ]
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reports = list(replay([path], settings, dry_run=True))
    assert [r.file for r in reports] == [f"{path}:1", f"{path}:3", f"{path}:4"]
    assert [r.outcome for r in reports] == ["handled", "ignored", "ignored"]
    assert reports[0].actions == [expected_push(MESSAGES / "distgit_push" / "001.json")["action"]]


def test_a_malformed_message_is_rejected_with_a_reason(settings, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"topic": "org.fedoraproject.prod.git.receive",
                                "body": {"commit": {"repo": "../x"}}}), encoding="utf-8")
    (report,) = list(replay([path], settings, dry_run=True))
    assert report.outcome == "rejected"
    assert report.reason.startswith("body.commit.repo")


@pytest.mark.parametrize(
    "content",
    ['["not", "a", "message"]', '{"body": {}}', '{"topic": "a.b"}\nnot json at all\n'],
    ids=["array", "no-topic", "bad-line"],
)
def test_unreadable_files(settings, tmp_path, content):
    path = tmp_path / "x.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(UnreadableMessage):
        list(replay([path], settings, dry_run=True))


# --- the CLI ---------------------------------------------------------------------------


def _stdout_lines(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.strip()]


def test_cli_replay_dry_run_json_over_the_corpus():
    result = CliRunner().invoke(main, ["replay", "--dry-run", "--json", str(MESSAGES)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in _stdout_lines(result)]
    assert len(lines) == len(corpus())
    for line in lines:
        assert set(line) == {"file", "topic", "outcome", "reason", "actions"}
        assert line["outcome"] in OUTCOMES
        assert line["reason"]
    builds = [a for line in lines for a in line["actions"]]
    assert builds and all(a["kind"] == "koji.build" for a in builds)


def test_cli_replay_with_settings_and_several_paths(tmp_path):
    jsonl = tmp_path / "one.jsonl"
    files = [MESSAGES / "distgit_push" / n for n in ("008.json", "003.json")]
    jsonl.write_text("".join(json.dumps(load_message(f)) + "\n" for f in files), encoding="utf-8")
    args = ["replay", "--settings", str(CONFIG / "settings.example.yaml"), "--dry-run",
            str(MESSAGES / "distgit_push" / "005.json"), str(jsonl)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = _stdout_lines(result)
    assert len(lines) == 3
    assert lines[0].startswith("handled")
    assert "005.json" in lines[0]
    assert lines[1].startswith("handled")
    assert "one.jsonl:1" in lines[1]
    assert lines[2].startswith("ignored")
    assert "one.jsonl:2: not built: namespace 'tests'" in lines[2]


def test_cli_replay_of_an_unreadable_file_fails_cleanly(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1, 2]", encoding="utf-8")
    result = CliRunner().invoke(main, ["replay", "--dry-run", str(path)])
    assert result.exit_code == 1
    assert "not a message" in result.output
    assert not isinstance(result.exception, UnreadableMessage)  # a ClickException, no traceback


def test_cli_replay_with_bad_settings_fails_cleanly(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("colour: blue\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["replay", "--settings", str(bad), "--dry-run",
                                       str(MESSAGES / "distgit_push")])
    assert result.exit_code == 1
    assert "colour: unknown key" in result.output
