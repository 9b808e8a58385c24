"""The sink's three operations: queue the difference (cron), initialize and audit (operators).

- ``queue_changes`` diffs what Conveyor knows against what it already queued
  or sent (no PDC request): cheap enough to run every minute from cron.
- ``initialize`` diffs against what PDC really holds, queues the whole
  difference (dead changes included) and sends it.
- ``audit`` diffs against PDC and changes nothing: the drift.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from conveyor.pdc.actual import read_actual
from conveyor.pdc.client import PdcClient
from conveyor.pdc.desired import desired_state
from conveyor.pdc.diff import Change, diff
from conveyor.pdc.queue import SendReport, enqueue, hurry, intended_state, send_due
from conveyor.settings_pdc import PdcSettings
from models.base import utcnow

_ENQUEUE_ATTEMPTS = 3


def queue_changes(session_factory: sessionmaker[Session], release: str, now: datetime) -> int:
    """Queue what changed in Conveyor's stores since the last run; return rows queued."""

    def work(session: Session) -> int:
        desired = desired_state(session, release)
        return enqueue(session, diff(desired, intended_state(session, release)), now)

    return _serialized(session_factory, work)


def _serialized(session_factory: sessionmaker[Session], work: Callable[[Session], int]) -> int:
    """Run ``work`` in a transaction; once more if a concurrent enqueue took a pending key.

    The second run re-reads the pending rows, so it finds the other's row and
    replaces or keeps it instead of inserting a second one.
    """
    for attempt in range(_ENQUEUE_ATTEMPTS):
        try:
            with session_factory.begin() as session:
                return work(session)
        except IntegrityError:
            if attempt == _ENQUEUE_ATTEMPTS - 1:
                raise
    return 0  # not reached: the loop returns or raises


def drift(session_factory: sessionmaker[Session], client: PdcClient, release: str) -> list[Change]:
    """The changes PDC needs to match Conveyor (reads PDC, writes nothing)."""
    with session_factory() as session:
        desired = desired_state(session, release)
    return diff(desired, read_actual(client, desired, release))


def initialize(
    session_factory: sessionmaker[Session],
    client: PdcClient,
    settings: PdcSettings,
    clock: Callable[[], datetime] = utcnow,
) -> tuple[int, SendReport]:
    """Queue the full difference with PDC and send until nothing due is left.

    Pending changes waiting out a backoff are sent now too.
    """
    changes = drift(session_factory, client, settings.release)
    now = clock()

    def work(session: Session) -> int:
        hurry(session, now)
        return enqueue(session, changes, now)

    queued = _serialized(session_factory, work)
    total = SendReport()
    while True:
        report = send_due(session_factory, client, settings, clock())
        total.sent += report.sent
        total.retried += report.retried
        total.failed += report.failed
        if report.retried or not (report.sent + report.failed):
            return queued, total
