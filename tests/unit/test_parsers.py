"""Parsers: every captured dist-git and koji message, and malformed bodies of every kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers import dispatch
from consumers.events import (
    DistGitPush,
    KojiBuildStateChange,
    KojiRepoDone,
    KojiTagged,
    KojiTaskStateChange,
)
from consumers.parse_distgit import parse_git_receive, parse_pagure_git_receive
from consumers.parse_koji import (
    parse_build_state_change,
    parse_repo_done,
    parse_task_state_change,
)
from conveyor.errors import Invalid
from tests.unit.fakes import COMMIT_A, MESSAGES, OLD_COMMIT, corpus, load_message

GIT = "org.fedoraproject.prod.git.receive"
PAGURE = "org.fedoraproject.prod.pagure.git.receive"
TASK = "org.fedoraproject.prod.buildsys.task.state.change"
BUILD = "org.fedoraproject.prod.buildsys.build.state.change"

VALGRIND_REV = "7a98f80d9b61ce167e4ef8129c81ed9284ecf4e1"
EMBER_REV = "aa2df80f3d8dd217c7cbfe2d3451190028f3fe14"

EXPECTED_PUSHES = {
    "001.json": DistGitPush("rpms", "valgrind", "master", VALGRIND_REV, pusher="mjw"),
    "002.json": DistGitPush(
        "rpms", "datanommer", "master", "66abdea4014eb2f0745fc38f86e20c7d7009237e"
    ),
    "003.json": DistGitPush("tests", "ember", "master", EMBER_REV, pusher="spot"),
    "005.json": DistGitPush(
        "rpms", "php-simplepie", "f24", "81e09b9c83e8550b54a64c7bdb4e5d7b534df058",
        pusher="trasher",
    ),
    "008.json": DistGitPush(
        "rpms", "python-mutagen", "epel7", "8ec97ee2a20e1eeaa3912b8ba110842520d6fda6",
        pusher="mcepl",
    ),
    # fedmsg topics git.receive.<repo>.<branch>, bodies without a repo
    "009.json": DistGitPush("rpms", "ember", "master", EMBER_REV, pusher="spot"),
    "010.json": DistGitPush("rpms", "valgrind", "master", VALGRIND_REV, pusher="mjw"),
    "011.json": DistGitPush(
        "rpms", "packit", "f36", "ad0c308af91da45cf40b253cd82f07f63ea9cbbf", pusher="pagure"
    ),
    "012.json": DistGitPush(
        "rpms",
        "nispor",
        "1.2.17-rawhide-update-pull_from_upstream",
        "e134a94872e6cdf0b421667bef35843ffc2e2794",
        old_commit="04c956ebf012f0e053dced9275d5c8ebdd080edd",
        pusher="cathay4t",
        repo_url="https://src.fedoraproject.org/fork/packit/rpms/nispor",
        fork=True,
        forced=True,
    ),
}

EXPECTED_BUILDS = {
    "004.json": KojiBuildStateChange(
        614503, "plasma-systemsettings", "5.2.1", "1.fc23", new=4, old=4, task_id=9053697,
        owner="dvratil", instance="primary",
    ),
    "005.json": KojiBuildStateChange(
        970796, "fedmsg", "1.0.1", "4.fc26", new=1, old=0, task_id=21861152,
        owner="jcline", instance="primary",
    ),
    "006.json": KojiBuildStateChange(
        1864700, "packit", "0.43.0", "1.fc36", new=0, old=None, task_id=79721403,
        owner="packit", instance="primary",
    ),
    "008.json": KojiBuildStateChange(
        1478312, "chromium", "80.0.3987.132", "1.fc33", new=1, old=0, task_id=None,
        owner="spot", instance="primary",
    ),
    "009.json": KojiBuildStateChange(
        2339329, "Fedora-i3-Live", "Rawhide", "20240101.n.0", new=2, old=1, task_id=111136700,
        epoch=0, owner="releng", instance="primary",
    ),
    "011.json": KojiBuildStateChange(
        1874072, "python-ogr", "0.34.0", "1.el8", new=0, old=None, task_id=80860791,
        owner="packit", instance="primary",
    ),
    "012.json": KojiBuildStateChange(
        1874070, "python-ogr", "0.34.0", "1.fc36", new=1, old=0, task_id=80860789,
        owner="packit", instance="primary",
    ),
    "013.json": KojiBuildStateChange(
        1874072, "python-ogr", "0.34.0", "1.el8", new=1, old=0, task_id=80860791,
        owner="packit", instance="primary",
    ),
    "016.json": KojiBuildStateChange(
        2417365, "Fedora-Python-Classroom-Vagrant", "40", "20240309.n.0", new=0, old=None,
        task_id=114706305, epoch=0, owner="releng", instance="primary",
    ),
}

EXPECTED_TASKS = {
    "001.json": KojiTaskStateChange(6380373, "FAILED", "OPEN", "build", None),
    "002.json": KojiTaskStateChange(6380373, "FAILED", "OPEN", "build", None),
    "003.json": KojiTaskStateChange(16289846, "OPEN", "FREE", "build", "primary"),
    "007.json": KojiTaskStateChange(45270170, "OPEN", "FREE", "build", "primary"),
}


def _parse_file(path: Path):
    data = load_message(path)
    route = dispatch.route_for(data["topic"])
    assert route is not None, f"{path}: no route for {data['topic']}"
    return route.parser(data["topic"], data["body"])


def test_the_expectations_cover_every_captured_file():
    assert {p.name for p in corpus("distgit_push")} == set(EXPECTED_PUSHES)
    assert {p.name for p in corpus("koji_build_state")} == set(EXPECTED_BUILDS)
    assert {p.name for p in corpus("koji_task_state")} == set(EXPECTED_TASKS)


@pytest.mark.parametrize("name", sorted(EXPECTED_PUSHES))
def test_distgit_push_files(name):
    event = _parse_file(MESSAGES / "distgit_push" / name)
    assert event == EXPECTED_PUSHES[name]


@pytest.mark.parametrize("name", sorted(EXPECTED_BUILDS))
def test_koji_build_state_files(name):
    event = _parse_file(MESSAGES / "koji_build_state" / name)
    expected = EXPECTED_BUILDS[name]
    assert event == expected
    assert event.nvr == f"{expected.name}-{expected.version}-{expected.release}"


@pytest.mark.parametrize("name", sorted(EXPECTED_TASKS))
def test_koji_task_state_files(name):
    assert _parse_file(MESSAGES / "koji_task_state" / name) == EXPECTED_TASKS[name]


@pytest.mark.parametrize("path", corpus("koji_untag"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_koji_families_without_a_parser_have_no_route(path):
    assert dispatch.route_for(load_message(path)["topic"]) is None


@pytest.mark.parametrize("path", corpus("koji_tag"), ids=lambda p: p.name)
def test_koji_tag_files(path):
    event = _parse_file(path)
    body = load_message(path)["body"]
    assert isinstance(event, KojiTagged)
    assert event.tag == body["tag"]
    assert event.nvr == f"{body['name']}-{body['version']}-{body['release']}"
    assert event.instance == body.get("instance")


@pytest.mark.parametrize("path", corpus("koji_repo_done"), ids=lambda p: p.name)
def test_koji_repo_done_files(path):
    body = load_message(path)["body"]
    if "tag" not in body:
        with pytest.raises(Invalid, match=r"body\.tag"):
            _parse_file(path)
        return
    event = _parse_file(path)
    assert event == KojiRepoDone(body["tag"], body["repo_id"], body.get("instance"))


@pytest.mark.parametrize(
    "body", [{"tag": "x y", "repo_id": 1}, {"tag": "f44-build", "repo_id": "1"}, []]
)
def test_bad_repo_done_bodies(body):
    with pytest.raises(Invalid):
        parse_repo_done("org.fedoraproject.prod.buildsys.repo.done", body)


def test_php_simplepie_in_detail():
    event = _parse_file(MESSAGES / "distgit_push" / "005.json")
    assert event.path == "rpms/php-simplepie"
    assert event.branch == "f24"
    assert event.new_commit.startswith("81e0")
    assert not event.fork


def test_namespace_is_read_and_defaults_to_rpms():
    assert _parse_file(MESSAGES / "distgit_push" / "003.json").namespace == "tests"
    assert _parse_file(MESSAGES / "distgit_push" / "002.json").namespace == "rpms"


def test_name_from_the_fedmsg_topic_when_the_body_has_no_repo():
    body = load_message(MESSAGES / "distgit_push" / "010.json")["body"]
    assert "repo" not in body["commit"]
    event = parse_git_receive("org.fedoraproject.prod.git.receive.valgrind.master", body)
    assert (event.namespace, event.name, event.branch) == ("rpms", "valgrind", "master")


def test_name_from_the_topic_may_contain_dots():
    """fedmsg topics are git.receive.<repo>.<branch>: python3.11 is a real Fedora package."""
    body = {"commit": {"branch": "master", "rev": COMMIT_A, "username": "alice"}}
    event = parse_git_receive("org.fedoraproject.prod.git.receive.python3.11.master", body)
    assert event.name == "python3.11"


def test_body_repo_wins_over_the_topic():
    body = {"commit": {"repo": "bash", "branch": "f40", "rev": COMMIT_A}}
    assert parse_git_receive(GIT + ".zsh.f40", body).name == "bash"


def test_refs_heads_prefix_is_removed():
    body = {"commit": {"repo": "bash", "branch": "refs/heads/f40", "rev": COMMIT_A}}
    assert parse_git_receive(GIT, body).branch == "f40"
    pagure = {"repo": {"name": "bash"}, "branch": "refs/heads/f40", "end_commit": COMMIT_A}
    assert parse_pagure_git_receive(PAGURE, pagure).branch == "f40"


def test_pusher_prefers_agent_then_top_level_agent_then_username():
    commit = {"repo": "bash", "branch": "f40", "rev": COMMIT_A, "username": "u"}
    assert parse_git_receive(GIT, {"commit": commit}).pusher == "u"
    assert parse_git_receive(GIT, {"commit": commit, "agent": "top"}).pusher == "top"
    both = {"commit": {**commit, "agent": "a"}, "agent": "top"}
    assert parse_git_receive(GIT, both).pusher == "a"


def test_pagure_defaults_and_sha256_commits():
    body = {"repo": {"name": "bash"}, "branch": "main", "end_commit": "f" * 64}
    event = parse_pagure_git_receive(PAGURE, body)
    assert event == DistGitPush("rpms", "bash", "main", "f" * 64)


LONG = "x" * 5000
GOOD_COMMIT = {"repo": "bash", "namespace": "rpms", "branch": "f40", "rev": COMMIT_A}
GOOD_PAGURE = {
    "repo": {"name": "bash", "namespace": "rpms"},
    "branch": "f40",
    "end_commit": COMMIT_A,
    "old_commit": OLD_COMMIT,
    "agent": "alice",
}
GOOD_TASK = {"id": 12, "new": "OPEN", "old": "FREE", "method": "build", "instance": "primary"}
GOOD_BUILD = {
    "build_id": 7, "name": "bash", "version": "5.2", "release": "1.fc40", "new": 1, "old": 0,
    "task_id": 12, "owner": "alice", "instance": "primary",
}


def _commit(**changes):
    commit = dict(GOOD_COMMIT)
    for key, value in changes.items():
        if value is _DROP:
            commit.pop(key, None)
        else:
            commit[key] = value
    return {"commit": commit}


def _with(good, **changes):
    body = dict(good)
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key, None)
        else:
            body[key] = value
    return body


_DROP = object()

MALFORMED = [
    # git.receive
    (parse_git_receive, GIT, None, "body.commit"),
    (parse_git_receive, GIT, "a string", "body.commit"),
    (parse_git_receive, GIT, ["commit"], "body.commit"),
    (parse_git_receive, GIT, {"commit": "abc"}, "body.commit"),
    (parse_git_receive, GIT, _commit(repo=_DROP), "body.commit.repo"),
    (parse_git_receive, GIT, _commit(repo=5), "body.commit.repo"),
    (parse_git_receive, GIT, _commit(repo="../../etc/passwd"), "body.commit.repo"),
    (parse_git_receive, GIT, _commit(repo="<script>alert(1)</script>"), "body.commit.repo"),
    (parse_git_receive, GIT, _commit(repo="a" * 300), "body.commit.repo"),
    (parse_git_receive, GIT, _commit(namespace="../rpms"), "body.commit.namespace"),
    (parse_git_receive, GIT, _commit(namespace=["rpms"]), "body.commit.namespace"),
    (parse_git_receive, GIT, _commit(branch=_DROP), "body.commit.branch"),
    (parse_git_receive, GIT, _commit(branch=40), "body.commit.branch"),
    (parse_git_receive, GIT, _commit(branch=""), "body.commit.branch"),
    (parse_git_receive, GIT, _commit(branch="f40<script>"), "body.commit.branch"),
    (parse_git_receive, GIT, _commit(branch="f40/../../etc"), "body.commit.branch"),
    (parse_git_receive, GIT, _commit(branch=LONG), "body.commit.branch"),
    (parse_git_receive, GIT, _commit(rev=_DROP), "body.commit.rev"),
    (parse_git_receive, GIT, _commit(rev="z" * 40), "body.commit.rev"),
    (parse_git_receive, GIT, _commit(rev="A" * 40), "body.commit.rev"),
    (parse_git_receive, GIT, _commit(rev="abc123"), "body.commit.rev"),
    (parse_git_receive, GIT, _commit(rev=1234), "body.commit.rev"),
    (parse_git_receive, GIT, _commit(username=LONG), "body.commit.username"),
    (parse_git_receive, GIT, _commit(username="bob<img>"), "body.commit.username"),
    (parse_git_receive, GIT, _commit(agent=5), "body.commit.agent"),
    # pagure.git.receive
    (parse_pagure_git_receive, PAGURE, None, "body.repo"),
    (parse_pagure_git_receive, PAGURE, "a string", "body.repo"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, repo="bash"), "body.repo"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, repo={"namespace": "rpms"}),
     "body.repo.name"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, repo={"name": "../x"}), "body.repo.name"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, repo={"name": "x", "namespace": "a/b"}),
     "body.repo.namespace"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, branch=_DROP), "body.branch"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, end_commit=_DROP), "body.end_commit"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, end_commit="HEAD"), "body.end_commit"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, old_commit="g" * 40), "body.old_commit"),
    (parse_pagure_git_receive, PAGURE, _with(GOOD_PAGURE, agent=LONG), "body.agent"),
    # buildsys.task.state.change
    (parse_task_state_change, TASK, None, "body"),
    (parse_task_state_change, TASK, [GOOD_TASK], "body"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, id=_DROP), "body.id"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, id="12"), "body.id"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, id=True), "body.id"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, new=_DROP), "body.new"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, new="DONE"), "body.new"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, new=2), "body.new"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, old="WAITING"), "body.old"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, method=LONG), "body.method"),
    (parse_task_state_change, TASK, _with(GOOD_TASK, instance=["primary"]), "body.instance"),
    # buildsys.build.state.change
    (parse_build_state_change, BUILD, "a string", "body"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, build_id=_DROP), "body.build_id"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, build_id=7.5), "body.build_id"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, name=_DROP), "body.name"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, name="../bash"), "body.name"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, name="<script>"), "body.name"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, version=_DROP), "body.version"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, version=LONG), "body.version"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, release=3), "body.release"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, new=_DROP), "body.new"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, new="COMPLETE"), "body.new"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, new=9), "body.new"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, old=-1), "body.old"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, task_id="12"), "body.task_id"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, epoch="0"), "body.epoch"),
    (parse_build_state_change, BUILD, _with(GOOD_BUILD, owner=LONG), "body.owner"),
]


@pytest.mark.parametrize(
    ("parser", "topic", "body", "field"),
    MALFORMED,
    ids=[f"{i:02d}-{m[0].__name__}-{m[3]}" for i, m in enumerate(MALFORMED)],
)
def test_malformed_bodies_are_invalid_with_the_field_named(parser, topic, body, field):
    with pytest.raises(Invalid) as info:
        parser(topic, body)
    reason = str(info.value)
    assert reason.startswith(field + ":") or reason.startswith(field + "."), reason
    assert len(reason) < 400  # huge inputs are never echoed whole


def test_the_good_bodies_used_above_parse():
    """The malformed cases differ from these in one field only, so that field is the cause."""
    assert parse_git_receive(GIT, {"commit": GOOD_COMMIT}).name == "bash"
    assert parse_pagure_git_receive(PAGURE, GOOD_PAGURE).old_commit == OLD_COMMIT
    assert parse_task_state_change(TASK, GOOD_TASK).task_id == 12
    assert parse_build_state_change(BUILD, GOOD_BUILD).nvr == "bash-5.2-1.fc40"
