"""The PDC sink's cron job: queue what changed in Conveyor's stores, then send what is due.

A cron job rather than hooks in the consumers: the module knower and the
compose consumer stay unaware of PDC, a PDC outage never slows a message
down, and a change missed for any reason is found on the next run because
the job diffs whole states (desired vs queued) instead of reacting to events.
The cost is latency: up to ``pdc.sync_seconds`` between a change and its push.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from conveyor.pdc.client import PdcClient
from conveyor.pdc.queue import SendReport, prune, send_due
from conveyor.pdc.sync import queue_changes
from conveyor.settings import Settings
from models.base import utcnow

log = logging.getLogger(__name__)


def sync_pdc(
    session_factory: sessionmaker[Session], settings: Settings, client: PdcClient
) -> SendReport | None:
    """One run; does nothing unless ``pdc.enabled``."""
    pdc = settings.pdc
    if not pdc.enabled:
        return None
    queued = queue_changes(session_factory, pdc.release, utcnow())
    report = send_due(session_factory, client, pdc, utcnow())
    pruned = prune(session_factory, utcnow() - timedelta(days=pdc.keep_days))
    if queued or report.sent or report.retried or report.failed or pruned:
        log.info("pdc: %d changes queued; %s; %d old changes pruned", queued, report, pruned)
    return report
