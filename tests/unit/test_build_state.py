"""models.build: the Build state machine, its trace and outbox, and the database's checks."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from conveyor.errors import IllegalTransition
from models import Build, BuildTransition, OutboxMessage, Package
from models.build import ALL_STATES, TERMINAL, TRANSITIONS
from tests.unit.fakes import COMMIT_A, COMMIT_B

ALLOWED = sorted((a, b) for a, targets in TRANSITIONS.items() for b in targets)
ILLEGAL = sorted(
    (a, b) for a, b in itertools.product(sorted(ALL_STATES), repeat=2)
    if (a, b) not in ALLOWED
)


def make_build(session, state="queued", commit=COMMIT_A, **extra) -> Build:
    package = Package.get_or_create(session, "rpms", "bash")
    if state in ("building", "complete", "failed", "canceled"):
        extra.setdefault("koji_task_id", 1000)
    if state == "complete":
        extra.setdefault("nvr", "bash-5.2-1.fc41")
    build = Build(
        package=package,
        branch="rawhide",
        commit=commit,
        target="rawhide",
        source=f"git+https://src.fedoraproject.org/rpms/bash.git#{commit}",
        state=state,
        pusher="alice",
        **extra,
    )
    session.add(build)
    session.flush()
    return build


def rows(session, model):
    return list(session.scalars(select(model).order_by(model.id)))


def test_the_table_is_what_the_design_says():
    assert {"queued", "building", "complete", "failed", "canceled", "skipped"} == ALL_STATES
    assert {"complete", "failed", "canceled", "skipped"} == TERMINAL
    assert ("queued", "building") in ALLOWED
    assert ("queued", "skipped") in ALLOWED
    assert {b for a, b in ALLOWED if a == "building"} == {"complete", "failed", "canceled"}


@pytest.mark.parametrize(("old", "new"), ALLOWED, ids=lambda s: s)
def test_every_allowed_transition_is_traced_and_announced(session_factory, old, new):
    with session_factory.begin() as session:
        build = make_build(session, old, koji_task_id=1000, nvr="bash-5.2-1.fc41")
        build.transition(session, new, cause="msg-1", reason="because")
        session.flush()
        assert build.state == new
        assert build.state_reason == "because"
        assert (build.completed_at is not None) == (new in TERMINAL)
        trace = rows(session, BuildTransition)
        assert [(t.build_id, t.from_state, t.to_state, t.cause, t.reason) for t in trace] == [
            (build.id, old, new, "msg-1", "because")
        ]
        outbox = rows(session, OutboxMessage)
        assert len(outbox) == 1
        assert outbox[0].topic == "conveyor.build.state.change.v1"
        assert (outbox[0].body["old"], outbox[0].body["new"]) == (old, new)
        assert outbox[0].body["build"]["id"] == build.id
        assert outbox[0].body["owner"] == "alice"


@pytest.mark.parametrize(("old", "new"), ILLEGAL, ids=lambda s: s)
def test_illegal_transitions_raise_and_change_nothing(session_factory, old, new):
    with session_factory.begin() as session:
        build = make_build(session, old)
        with pytest.raises(IllegalTransition) as info:
            build.transition(session, new, cause="msg-1")
        assert (info.value.current, info.value.target) == (old, new)
        assert build.state == old
        session.flush()
        assert rows(session, BuildTransition) == []
        assert rows(session, OutboxMessage) == []


def test_complete_to_building_is_illegal(session_factory):
    with session_factory.begin() as session:
        build = make_build(session, "complete")
        with pytest.raises(IllegalTransition, match="complete -> building"):
            build.transition(session, "building", cause="late message")


def test_record_request_traces_the_first_state(session_factory):
    with session_factory.begin() as session:
        build = make_build(session)
        build.record_request(session, cause="msg-0")
        session.flush()
        trace = rows(session, BuildTransition)
        assert [(t.from_state, t.to_state, t.cause) for t in trace] == [(None, "queued", "msg-0")]
        outbox = rows(session, OutboxMessage)
        assert [(o.body["old"], o.body["new"]) for o in outbox] == [(None, "queued")]


def test_advance_skips_through_building_and_ignores_stale_news(session_factory):
    with session_factory.begin() as session:
        build = make_build(session, koji_task_id=1000, nvr="bash-5.2-1.fc41")
        assert build.advance(session, "complete", cause="m1") is True
        assert build.state == "complete"
        assert build.advance(session, "building", cause="m2") is False
        assert build.advance(session, "complete", cause="m3") is False
        assert build.advance(session, "failed", cause="m4") is False  # terminal is terminal
        session.flush()
        trace = [(t.from_state, t.to_state) for t in rows(session, BuildTransition)]
        assert trace == [("queued", "building"), ("building", "complete")]
        assert len(rows(session, OutboxMessage)) == 2


def test_advance_fails_a_queued_build_without_a_task_directly(session_factory):
    with session_factory.begin() as session:
        build = make_build(session)
        assert build.advance(session, "failed", cause="cron", reason="stuck") is True
        session.flush()
        trace = [(t.from_state, t.to_state) for t in rows(session, BuildTransition)]
        assert trace == [("queued", "failed")]


@pytest.mark.parametrize(
    ("values", "constraint"),
    [
        ({"state": "building", "koji_task_id": None}, "started_has_task"),
        ({"state": "complete", "koji_task_id": None, "nvr": "bash-1-1"}, "started_has_task"),
        ({"state": "complete", "koji_task_id": 5, "nvr": None}, "complete_has_nvr"),
        ({"state": "exploded"}, "state_known"),
        ({"state": "QUEUED"}, "state_known"),
    ],
)
def test_check_constraints_are_enforced_by_the_database(session_factory, values, constraint):
    with pytest.raises(IntegrityError) as info, session_factory.begin() as session:
        package = Package.get_or_create(session, "rpms", "bash")
        session.add(
            Build(package_id=package.id, branch="rawhide", commit=COMMIT_A, target="rawhide",
                  source="git+https://src.fedoraproject.org/rpms/bash.git#" + COMMIT_A, **values)
        )
        session.flush()
    assert "CHECK constraint failed" in str(info.value)
    assert constraint in str(info.value)
    with session_factory() as session:
        assert session.scalar(text("SELECT count(*) FROM builds")) == 0


def test_one_build_per_package_commit_and_target(session_factory):
    with session_factory.begin() as session:
        make_build(session, commit=COMMIT_A)
        make_build(session, commit=COMMIT_B)
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        make_build(session, commit=COMMIT_A)


def test_a_state_change_that_breaks_a_check_is_refused_at_flush(session_factory):
    """transition() to building without a task id passes the table but not the database."""
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        build = make_build(session)
        build.transition(session, "building", cause="m")
        session.flush()
