"""One message through parse -> dispatch -> handler -> one transaction, with a fake koji."""

from __future__ import annotations

import dataclasses

import pytest

from consumers.events import ZERO_COMMIT
from consumers.pipeline import Deps, Incoming, process
from conveyor.errors import Invalid, KojiError, Retryable
from conveyor.koji_client import TaskStatus
from conveyor.settings import parse
from models import (
    BranchRef,
    Build,
    BuildTransition,
    InboxEntry,
    OutboxMessage,
    Package,
)
from tests.unit.fakes import (
    COMMIT_A,
    FakeKoji,
    all_rows,
    build_message,
    count,
    git_receive,
    new_id,
    pagure_receive,
    task_message,
)

TOPIC = "conveyor.build.state.change.v1"
BASH_SOURCE = f"git+https://src.fedoraproject.org/rpms/bash.git#{COMMIT_A}"
MODELS = (Package, BranchRef, Build, BuildTransition, InboxEntry, OutboxMessage)


def snapshot(session_factory) -> dict[str, int]:
    return {m.__name__: count(session_factory, m) for m in MODELS}


def only_build(session_factory) -> Build:
    builds = all_rows(session_factory, Build)
    assert len(builds) == 1
    return builds[0]


def transitions(session_factory) -> list[tuple[str | None, str]]:
    rows = all_rows(session_factory, BuildTransition, BuildTransition.id)
    return [(t.from_state, t.to_state) for t in rows]


# --- pushes ---------------------------------------------------------------------------


def test_an_allowed_push_queues_one_build(deps, koji, session_factory):
    msg = git_receive("bash", "rawhide", COMMIT_A, username="alice")
    result = process(msg, deps, "distgit")

    assert result.outcome == "handled"
    assert "submitted koji task 1000" in result.reason
    assert koji.submitted == [(BASH_SOURCE, "rawhide")]
    assert koji.find_calls == [(BASH_SOURCE, "rawhide")]

    build = only_build(session_factory)
    assert build.state == "queued"
    assert build.koji_task_id == 1000
    assert build.source == BASH_SOURCE
    assert (build.branch, build.commit, build.target) == ("rawhide", COMMIT_A, "rawhide")
    assert build.pusher == "alice"

    refs = all_rows(session_factory, BranchRef)
    assert len(refs) == 1
    assert (refs[0].branch, refs[0].new_commit, refs[0].pusher) == ("rawhide", COMMIT_A, "alice")
    assert refs[0].message_id == msg.message_id
    assert refs[0].decision == result.reason

    outbox = all_rows(session_factory, OutboxMessage)
    assert [row.topic for row in outbox] == [TOPIC]
    assert outbox[0].sent_at is None
    assert outbox[0].body["new"] == "queued"
    assert outbox[0].body["build"]["name"] == "bash"
    assert result.outbox_ids == [outbox[0].id]

    inbox = all_rows(session_factory, InboxEntry)
    assert [(e.message_id, e.consumer, e.outcome) for e in inbox] == [
        (msg.message_id, "distgit", "handled")
    ]
    assert transitions(session_factory) == [(None, "queued")]


@pytest.mark.parametrize(
    ("branch", "target"),
    [("f40", "f40-candidate"), ("epel9", "epel9-candidate"), ("main", "rawhide")],
)
def test_target_comes_from_the_branch(deps, koji, session_factory, branch, target):
    result = process(pagure_receive("bash", branch, COMMIT_A), deps)
    assert result.outcome == "handled"
    assert koji.submitted == [(BASH_SOURCE, target)]
    assert only_build(session_factory).target == target


def test_base_url_shapes_the_source(session_factory, koji):
    settings = parse(
        {"distgit": {"base_url": "https://pkgs.example.org/", "allowed_scm_hosts":
                     ["pkgs.example.org"]}},
        env={},
    )
    deps = Deps(session_factory, settings, koji)
    process(git_receive("bash", "f40", COMMIT_A), deps)
    assert koji.submitted == [(f"git+https://pkgs.example.org/rpms/bash.git#{COMMIT_A}",
                               "f40-candidate")]


def test_the_same_message_id_twice_changes_nothing(deps, koji, session_factory):
    msg = git_receive()
    assert process(msg, deps).outcome == "handled"
    before = snapshot(session_factory)

    again = process(msg, deps)
    assert again.outcome == "ignored"
    assert "duplicate" in again.reason
    assert again.outbox_ids == []
    assert len(koji.submitted) == 1
    assert len(koji.find_calls) == 1
    assert snapshot(session_factory) == before


def test_another_message_for_the_same_commit_and_target_submits_nothing(
    deps, koji, session_factory
):
    assert process(git_receive("bash", "rawhide", COMMIT_A), deps).outcome == "handled"
    # the same push, seen through the other topic (one message per push)
    second = process(pagure_receive("bash", "rawhide", COMMIT_A), deps)
    assert second.outcome == "ignored"
    assert "already requested as build #" in second.reason
    assert len(koji.submitted) == 1
    assert count(session_factory, Build) == 1
    assert count(session_factory, InboxEntry) == 2
    assert count(session_factory, OutboxMessage) == 1


def test_the_same_commit_on_two_branches_builds_twice(deps, koji, session_factory):
    process(git_receive("bash", "f40", COMMIT_A), deps)
    process(git_receive("bash", "f41", COMMIT_A), deps)
    assert [t for _, t in koji.submitted] == ["f40-candidate", "f41-candidate"]
    assert count(session_factory, Build) == 2
    assert count(session_factory, Package) == 1


REFUSALS = [
    ("disallowed pusher", lambda: git_receive(username="mallory"), "pusher 'mallory'", True),
    ("unknown pusher", lambda: git_receive(username=None), "pusher '(unknown)'", True),
    ("unmapped branch", lambda: git_receive(branch="foo"), "branch 'foo' maps to no koji target",
     True),
    ("other namespace", lambda: git_receive(namespace="tests"), "namespace 'tests'", True),
    ("deleted branch", lambda: pagure_receive(end_commit=ZERO_COMMIT), "was deleted", True),
    ("fork", lambda: pagure_receive(parent={"name": "bash", "namespace": "rpms"}),
     "push to a fork of rpms/bash", False),
    ("scm host", lambda: pagure_receive(full_url="https://evil.example.org/rpms/bash"),
     "SCM host of https://evil.example.org/rpms/bash is not allowed", False),
]


@pytest.mark.parametrize(
    ("case", "make", "fragment", "recorded"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_pushes_that_are_not_built(session_factory, koji, case, make, fragment, recorded):
    settings = parse({"allowed_pushers": ["alice"]}, env={})
    deps = Deps(session_factory, settings, koji)
    msg = make()
    result = process(msg, deps)

    assert result.outcome == "ignored"
    assert fragment in result.reason
    assert koji.submitted == []
    assert koji.find_calls == []
    assert count(session_factory, Build) == 0
    assert count(session_factory, OutboxMessage) == 0
    inbox = all_rows(session_factory, InboxEntry)
    assert [(e.message_id, e.outcome) for e in inbox] == [(msg.message_id, "ignored")]
    refs = all_rows(session_factory, BranchRef)
    if recorded:  # the branch history keeps the push and says why nothing was built
        assert len(refs) == 1
        assert refs[0].decision.startswith("not built: ")
        assert fragment in refs[0].decision
    else:
        assert refs == []


def test_allowed_pusher_list_lets_alice_build(session_factory, koji):
    deps = Deps(session_factory, parse({"allowed_pushers": ["alice"]}, env={}), koji)
    assert process(git_receive(username="alice"), deps).outcome == "handled"
    assert len(koji.submitted) == 1


def test_a_task_koji_already_has_is_adopted(deps, koji, session_factory):
    koji.existing[(BASH_SOURCE, "rawhide")] = 777
    result = process(git_receive(), deps)
    assert result.outcome == "handled"
    assert "adopted existing koji task 777" in result.reason
    assert koji.submitted == []
    build = only_build(session_factory)
    assert build.koji_task_id == 777
    assert build.state == "queued"


def test_koji_refusing_the_build_fails_it_with_kojis_reason(deps, koji, session_factory):
    koji.submit_error = KojiError("koji refused build: unknown build target: rawhide")
    result = process(git_receive(), deps)
    assert result.outcome == "handled"
    assert "unknown build target" in result.reason
    build = only_build(session_factory)
    assert build.state == "failed"
    assert build.koji_task_id is None
    assert "unknown build target: rawhide" in build.state_reason
    assert build.completed_at is not None
    assert transitions(session_factory) == [(None, "queued"), ("queued", "failed")]
    bodies = [row.body["new"] for row in all_rows(session_factory, OutboxMessage, OutboxMessage.id)]
    assert bodies == ["queued", "failed"]


@pytest.mark.parametrize("where", ["find", "submit"])
def test_retryable_koji_commits_nothing(deps, koji, session_factory, where):
    error = Retryable("koji unavailable during build: connection refused")
    if where == "find":
        koji.find_error = error
    else:
        koji.submit_error = error
    msg = git_receive()
    with pytest.raises(Retryable):
        process(msg, deps)
    assert snapshot(session_factory) == dict.fromkeys(snapshot(session_factory), 0)

    # koji is back: the redelivered message (same id) is handled, not a duplicate
    koji.find_error = koji.submit_error = None
    assert process(msg, deps).outcome == "handled"
    assert count(session_factory, Build) == 1
    assert count(session_factory, InboxEntry) == 1


def test_invalid_body_raises_before_anything_is_written(deps, session_factory):
    msg = Incoming(new_id(), "org.fedoraproject.prod.git.receive", {"commit": {"repo": "x"}})
    with pytest.raises(Invalid):
        process(msg, deps)
    assert count(session_factory, InboxEntry) == 0


def test_unrouted_topics_are_ignored_and_not_recorded(deps, session_factory):
    result = process(Incoming(new_id(), "org.fedoraproject.prod.bodhi.update.comment", {}), deps)
    assert result.outcome == "ignored"
    assert "no handler" in result.reason
    # a consumer only handles its own routes
    result = process(git_receive(), deps, "koji")
    assert result.outcome == "ignored"
    assert count(session_factory, InboxEntry) == 0


# --- koji messages ---------------------------------------------------------------------


@pytest.fixture
def queued(deps, koji, session_factory) -> int:
    """A build Conveyor requested: queued with koji task 1000."""
    process(git_receive("bash", "rawhide", COMMIT_A), deps)
    build = only_build(session_factory)
    assert (build.state, build.koji_task_id) == ("queued", 1000)
    return 1000


def test_task_open_means_building(deps, session_factory, queued):
    result = process(task_message(queued, "OPEN"), deps, "koji")
    assert result.outcome == "handled"
    assert only_build(session_factory).state == "building"
    assert transitions(session_factory)[-1] == ("queued", "building")
    assert len(result.outbox_ids) == 1


def test_build_complete_records_nvr_and_build_id(deps, session_factory, queued):
    process(task_message(queued, "OPEN"), deps)
    result = process(build_message(queued, 1, build_id=4242), deps, "koji")
    assert result.outcome == "handled"
    build = only_build(session_factory)
    assert build.state == "complete"
    assert build.nvr == "bash-5.2.26-1.fc41"
    assert build.koji_build_id == 4242
    assert build.completed_at is not None
    last = all_rows(session_factory, OutboxMessage, OutboxMessage.id)[-1]
    assert last.body["new"] == "complete"
    assert last.body["build"]["nvr"] == "bash-5.2.26-1.fc41"


def test_out_of_order_complete_then_building(deps, session_factory, queued):
    assert process(build_message(queued, 1, old=0), deps).outcome == "handled"
    late = process(build_message(queued, 0, old=None), deps)
    assert late.outcome == "ignored"
    assert "stale" in late.reason
    assert late.outbox_ids == []
    assert only_build(session_factory).state == "complete"
    # complete implied building: the trace shows both steps, once each
    assert transitions(session_factory) == [
        (None, "queued"), ("queued", "building"), ("building", "complete")
    ]


def test_duplicate_complete_is_one_transition(deps, session_factory, queued):
    process(task_message(queued, "OPEN"), deps)
    first = process(build_message(queued, 1), deps)
    before = count(session_factory, BuildTransition)
    second = process(build_message(queued, 1), deps)  # a new id: not an inbox duplicate
    assert (first.outcome, second.outcome) == ("handled", "ignored")
    assert count(session_factory, BuildTransition) == before == 3
    assert count(session_factory, BuildTransition, BuildTransition.to_state == "complete") == 1


def test_task_failed_uses_kojis_reason(deps, koji, session_factory, queued):
    koji.failures[queued] = "BuildError: error building package (arch x86_64)"
    process(task_message(queued, "OPEN"), deps)
    result = process(task_message(queued, "FAILED", old="OPEN"), deps)
    assert result.outcome == "handled"
    assert koji.failure_calls == [queued]
    build = only_build(session_factory)
    assert build.state == "failed"
    assert build.state_reason == "BuildError: error building package (arch x86_64)"
    trace = all_rows(session_factory, BuildTransition, BuildTransition.id)[-1]
    assert (trace.to_state, trace.reason) == ("failed", build.state_reason)


def test_task_closed_asks_koji_for_the_build(deps, koji, session_factory, queued):
    koji.statuses[queued] = TaskStatus(queued, "CLOSED", nvr="bash-5.2.26-1.fc41", build_id=9)
    result = process(task_message(queued, "CLOSED", old="OPEN"), deps)
    assert result.outcome == "handled"
    build = only_build(session_factory)
    assert (build.state, build.nvr, build.koji_build_id) == ("complete", "bash-5.2.26-1.fc41", 9)


def test_task_closed_before_koji_shows_the_build_is_retried(deps, koji, session_factory, queued):
    koji.statuses[queued] = TaskStatus(queued, "CLOSED")
    msg = task_message(queued, "CLOSED", old="OPEN")
    before = snapshot(session_factory)
    with pytest.raises(Retryable):
        process(msg, deps)
    assert snapshot(session_factory) == before
    assert only_build(session_factory).state == "queued"


def test_task_canceled(deps, session_factory, queued):
    assert process(task_message(queued, "CANCELED", old="FREE"), deps).outcome == "handled"
    assert only_build(session_factory).state == "canceled"


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda t: task_message(t + 1, "OPEN"), "is not one of ours"),
        (lambda t: build_message(t + 1, 1), "is not one of ours"),
        (lambda t: build_message(None, 1), "was imported"),
        (lambda t: task_message(t, "OPEN", instance="s390"), "koji instance 's390' is not ours"),
        (lambda t: build_message(t, 1, instance="ppc"), "koji instance 'ppc' is not ours"),
        (lambda t: task_message(t, "ASSIGNED"), "changes nothing"),
        (lambda t: task_message(t, "FREE", old=None), "changes nothing"),
        (lambda t: build_message(t, 2), "deleted"),
    ],
    ids=["task-not-ours", "build-not-ours", "import", "task-other-instance",
         "build-other-instance", "assigned", "free", "deleted"],
)
def test_koji_messages_that_change_nothing(deps, koji, session_factory, queued, make, fragment):
    before = snapshot(session_factory)
    msg = make(queued)
    result = process(msg, deps, "koji")
    assert result.outcome == "ignored"
    assert fragment in result.reason
    build = only_build(session_factory)
    assert (build.state, build.nvr) == ("queued", None)
    after = snapshot(session_factory)
    assert after == {**before, "InboxEntry": before["InboxEntry"] + 1}
    assert koji.status_calls == [] and koji.failure_calls == []


def test_koji_messages_before_the_push_are_not_ours(deps, session_factory):
    result = process(task_message(1000, "OPEN"), deps)
    assert result.outcome == "ignored"
    assert count(session_factory, Build) == 0


def test_fake_koji_is_a_koji():
    """The fake implements every method of the protocol the handlers use."""
    from conveyor.koji_client import Koji

    names = {n for n in vars(Koji) if not n.startswith("_")}
    assert names <= {n for n in dir(FakeKoji) if not n.startswith("_")}
    assert {f.name for f in dataclasses.fields(FakeKoji)} >= {"submitted", "existing"}
