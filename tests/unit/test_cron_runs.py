"""Cron heartbeats: each job's last run in ``cron_runs``, throttled, shown on the operators page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cron.runs import Heartbeats
from cron.scheduler import Job, _guarded
from models import CronRun
from tests.unit.site_world import load, populate, render


def _rows(session_factory) -> dict[str, CronRun]:
    with session_factory() as session:
        return {r.job: r for r in session.scalars(select(CronRun))}


def test_first_run_is_written_then_throttled(session_factory):
    beats = Heartbeats(session_factory, every=timedelta(hours=1))
    assert beats.record("flush_outbox", 0.01) is True
    assert beats.record("flush_outbox", 0.02) is False  # same outcome, within the period
    row = _rows(session_factory)["flush_outbox"]
    assert (row.outcome, row.runs, row.failures, row.error) == ("ok", 1, 0, None)
    assert row.last_ok_at == row.finished_at


def test_a_changed_outcome_is_written_at_once_and_counted(session_factory):
    beats = Heartbeats(session_factory, every=timedelta(hours=1))
    beats.record("reconcile", 0.5)
    beats.record("reconcile", 0.5)
    assert beats.record("reconcile", 1.5, "KojiUnavailable: hub down") is True
    row = _rows(session_factory)["reconcile"]
    assert (row.outcome, row.runs, row.failures) == ("error", 3, 1)
    assert row.error == "KojiUnavailable: hub down"
    assert row.last_ok_at is not None and row.last_ok_at <= row.finished_at
    assert beats.record("reconcile", 0.1) is True  # back to ok: written
    assert _rows(session_factory)["reconcile"].error is None


def test_every_period_writes_again(session_factory):
    beats = Heartbeats(session_factory, every=timedelta(0))
    for _ in range(3):
        assert beats.record("render_site", 0.2) is True
    assert _rows(session_factory)["render_site"].runs == 3


def test_guarded_job_records_its_failure_and_does_not_raise(session_factory):
    beats = Heartbeats(session_factory)

    def boom() -> None:
        raise RuntimeError("no koji")

    _guarded(Job("fail_stuck", 600, boom), beats)()
    _guarded(Job("flush_outbox", 1, lambda: None), beats)()
    rows = _rows(session_factory)
    assert rows["fail_stuck"].outcome == "error"
    assert rows["fail_stuck"].error == "RuntimeError: no koji"
    assert rows["flush_outbox"].outcome == "ok"


def test_database_refuses_an_error_row_without_its_text(session_factory):
    from models.base import utcnow

    with pytest.raises(IntegrityError), session_factory.begin() as session:
        session.add(
            CronRun(job="x", finished_at=utcnow(), outcome="error", seconds=0.0, runs=1, failures=1)
        )


def test_operators_page_lists_cron_jobs(session_factory, tmp_path):
    populate(session_factory)
    beats = Heartbeats(session_factory)
    beats.record("reconcile_modules", 0.25)
    beats.record("expire<composes>", 0.0, "Boom: <script>")
    out = tmp_path / "site"
    render(session_factory, out)
    jobs = {j["job"]: j for j in load(out, "api/v1/operators.json")["cron_jobs"]}
    assert jobs["reconcile_modules"]["outcome"] == "ok"
    assert jobs["reconcile_modules"]["seconds"] == 0.25
    assert jobs["expire<composes>"]["error"] == "Boom: <script>"
    html = (out / "operators.html").read_text()
    assert 'data-job="reconcile_modules"' in html
    assert "Boom: &lt;script&gt;" in html and "<script" not in html
