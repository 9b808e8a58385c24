"""Heartbeats of the cron jobs: each job's last run, its outcome and duration, in ``cron_runs``.

The scheduler calls ``Heartbeats.record`` after every run. A row is written
when the outcome changes or when the job's row is older than ``every``
(one minute by default), never more often: ``flush_outbox`` runs every second
and its heartbeat must not compete with the consumers for SQLite's one writer.
A heartbeat that cannot be written is logged and skipped: it must never stop
the job it describes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.cron_run import CronRun

log = logging.getLogger(__name__)
ERROR_CHARS = 2000  # of an error's text kept in the row


@dataclass
class _Tally:
    runs: int = 0
    failures: int = 0
    last_outcome: str | None = None
    last_ok_at: datetime | None = None
    written_at: datetime | None = None


class Heartbeats:
    def __init__(self, session_factory: sessionmaker[Session], every: timedelta | None = None):
        self._session_factory = session_factory
        self._every = every if every is not None else timedelta(minutes=1)
        self._tallies: dict[str, _Tally] = {}

    def record(self, job: str, seconds: float, error: str | None = None) -> bool:
        """Count one run of ``job``; True when its row was written this time."""
        now = utcnow()
        tally = self._tallies.setdefault(job, _Tally())
        tally.runs += 1
        outcome = "ok" if error is None else "error"
        if error is None:
            tally.last_ok_at = now
        else:
            tally.failures += 1
        due = tally.written_at is None or now - tally.written_at >= self._every
        if not due and outcome == tally.last_outcome:
            return False
        tally.last_outcome = outcome
        try:
            self._write(job, now, outcome, seconds, error, tally)
        except SQLAlchemyError:
            log.exception("cron: could not record the heartbeat of %s", job)
            return False
        tally.written_at = now
        return True

    def _write(
        self, job: str, now: datetime, outcome: str, seconds: float, error: str | None, t: _Tally
    ) -> None:
        with self._session_factory.begin() as session:
            row = session.get(CronRun, job, with_for_update=True)
            if row is None:
                row = CronRun(job=job)
                session.add(row)
            row.finished_at = now
            row.outcome = outcome
            row.seconds = max(0.0, seconds)
            row.error = None if error is None else error[:ERROR_CHARS]
            row.last_ok_at = t.last_ok_at if t.last_ok_at is not None else row.last_ok_at
            row.runs = t.runs
            row.failures = t.failures
