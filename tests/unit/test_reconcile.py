"""cron.jobs: the koji reconciler and the stuck-build reaper, with a fake koji."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from consumers.pipeline import process
from conveyor.errors import KojiError
from conveyor.koji_client import TaskStatus
from conveyor.settings import parse
from cron.jobs import fail_stuck, reconcile
from models import Build, BuildTransition, OutboxMessage
from models.base import utcnow
from tests.unit.fakes import all_rows, count, git_receive, task_message


def push_builds(deps, *branches: str) -> dict[str, int]:
    """Push bash to each branch; return branch -> koji task id."""
    for i, branch in enumerate(branches):
        rev = f"{i + 1:040x}"
        assert process(git_receive("bash", branch, rev), deps).outcome == "handled"
    return {b.branch: b.koji_task_id for b in all_rows(deps.session_factory, Build)}


def states(session_factory) -> dict[str, tuple[str, str | None]]:
    return {b.branch: (b.state, b.nvr) for b in all_rows(session_factory, Build)}


def test_lost_messages_are_caught_up_by_one_reconcile(deps, koji, session_factory):
    tasks = push_builds(deps, "rawhide", "f40", "f39", "f38")
    process(task_message(tasks["f39"], "OPEN"), deps)  # the only message that arrived
    koji.statuses = {
        tasks["rawhide"]: TaskStatus(tasks["rawhide"], "CLOSED", "bash-5.2-3.fc41", 901),
        tasks["f40"]: TaskStatus(tasks["f40"], "FAILED"),
        tasks["f39"]: TaskStatus(tasks["f39"], "CLOSED", "bash-5.2-3.fc39", 903),
        tasks["f38"]: TaskStatus(tasks["f38"], "OPEN"),
    }
    koji.status_calls.clear()

    changed = reconcile(session_factory, koji)

    assert changed == 4
    assert len(koji.status_calls) == 1
    assert sorted(koji.status_calls[0]) == sorted(tasks.values())
    assert states(session_factory) == {
        "rawhide": ("complete", "bash-5.2-3.fc41"),
        "f40": ("failed", None),
        "f39": ("complete", "bash-5.2-3.fc39"),
        "f38": ("building", None),
    }
    rawhide = next(b for b in all_rows(session_factory, Build) if b.branch == "rawhide")
    assert rawhide.koji_build_id == 901
    traces = all_rows(session_factory, BuildTransition, BuildTransition.id)
    by_reconciler = [t for t in traces if t.cause == "reconciler"]
    assert by_reconciler, traces
    assert all(t.build_id and t.to_state for t in by_reconciler)
    # every change is announced
    assert count(session_factory, OutboxMessage) == len(traces)


def test_a_second_reconcile_changes_nothing(deps, koji, session_factory):
    tasks = push_builds(deps, "rawhide", "f40")
    koji.statuses = {t: TaskStatus(t, "CLOSED", f"bash-1-{t}.fc41", t + 1) for t in tasks.values()}
    assert reconcile(session_factory, koji) == 2
    outbox_before = count(session_factory, OutboxMessage)
    traces_before = count(session_factory, BuildTransition)
    koji.status_calls.clear()

    assert reconcile(session_factory, koji) == 0

    assert len(koji.status_calls) == 1  # once per reconcile, with nothing left in flight
    assert koji.status_calls[0] == []
    assert count(session_factory, OutboxMessage) == outbox_before
    assert count(session_factory, BuildTransition) == traces_before
    assert {s for s, _ in states(session_factory).values()} == {"complete"}


def test_task_statuses_is_called_once_with_every_in_flight_task(deps, koji, session_factory):
    tasks = push_builds(deps, "rawhide", "f40", "f39", "epel9", "f38")
    process(task_message(tasks["f40"], "OPEN"), deps)
    process(task_message(tasks["f39"], "CANCELED"), deps)  # finished: not in flight
    koji.status_calls.clear()

    reconcile(session_factory, koji)

    assert len(koji.status_calls) == 1
    in_flight = sorted(t for b, t in tasks.items() if b != "f39")
    assert sorted(koji.status_calls[0]) == in_flight


def test_closed_task_without_a_build_record_waits(deps, koji, session_factory):
    tasks = push_builds(deps, "rawhide")
    koji.statuses = {tasks["rawhide"]: TaskStatus(tasks["rawhide"], "CLOSED")}
    assert reconcile(session_factory, koji) == 0
    assert states(session_factory) == {"rawhide": ("queued", None)}


def test_builds_without_a_task_are_not_asked_about(deps, koji, session_factory):
    koji.submit_error = KojiError("koji refused build: no such target")
    process(git_receive("bash", "rawhide"), deps)  # failed, no task
    koji.submit_error = None
    reconcile(session_factory, koji)
    assert koji.status_calls == [[]]


def test_fail_stuck_fails_old_builds_and_cancels_their_tasks(deps, koji, session_factory):
    tasks = push_builds(deps, "rawhide", "f40", "f39")
    process(task_message(tasks["f40"], "OPEN"), deps)
    settings = parse({"cron": {"stuck_build_hours": 6}}, env={})
    old = utcnow() - timedelta(hours=7)
    with session_factory.begin() as session:
        session.execute(
            update(Build)
            .where(Build.branch.in_(["rawhide", "f40"]))
            .values(updated_at=old)
        )

    failed = fail_stuck(session_factory, settings, koji)

    assert failed == 2
    assert sorted(koji.canceled) == sorted([tasks["rawhide"], tasks["f40"]])
    builds = {b.branch: b for b in all_rows(session_factory, Build)}
    assert builds["rawhide"].state == "failed"
    assert builds["f40"].state == "failed"
    assert builds["f39"].state == "queued"  # recent: left alone
    assert builds["f40"].state_reason == "no progress for 6 hours"
    # a second run finds nothing more to do
    koji.canceled.clear()
    assert fail_stuck(session_factory, settings, koji) == 0
    assert koji.canceled == []


def test_fail_stuck_survives_koji_refusing_the_cancel(deps, koji, session_factory):
    push_builds(deps, "rawhide")
    with session_factory.begin() as session:
        session.execute(update(Build).values(updated_at=utcnow() - timedelta(days=3)))

    class Refusing(type(koji)):
        def cancel_task(self, task_id: int) -> None:
            raise KojiError("koji refused cancelTask: not allowed")

    assert fail_stuck(session_factory, deps.settings, Refusing()) == 1
    assert states(session_factory) == {"rawhide": ("failed", None)}
