"""``conveyor cron``: APScheduler running the periodic jobs in one process."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler

from conveyor.db import make_session_factory
from conveyor.koji_client import KojiClient
from conveyor.pdc.client import PdcClient
from conveyor.settings import Settings
from cron import jobs
from cron.chains import reconcile_chains
from cron.composes import maintain_composes
from cron.gating import gate_done_modules
from cron.pdc import sync_pdc
from cron.reconcile_modules import reconcile_modules
from cron.runs import Heartbeats

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    seconds: int
    run: Callable[[], object]


def job_table(settings: Settings) -> list[Job]:
    session_factory = make_session_factory(settings.database_url)
    koji = KojiClient(settings.koji)
    pdc = PdcClient(settings.pdc)
    cron = settings.cron
    return [
        Job(
            "flush_outbox",
            cron.outbox_flush_seconds,
            lambda: jobs.flush_outbox(session_factory, settings),
        ),
        Job("reconcile", cron.reconcile_seconds, lambda: jobs.reconcile(session_factory, koji)),
        Job(
            "reconcile_modules",
            cron.reconcile_seconds,
            lambda: reconcile_modules(session_factory, settings, koji),
        ),
        # CI results re-gate at once; this catches timeouts and changed rules
        Job(
            "gate_modules",
            cron.reconcile_seconds,
            lambda: gate_done_modules(session_factory, settings, koji),
        ),
        # a rebuild chain whose advancing message was lost moves on here
        Job(
            "reconcile_chains",
            cron.reconcile_seconds,
            lambda: reconcile_chains(session_factory, settings, koji),
        ),
        Job("fail_stuck", 600, lambda: jobs.fail_stuck(session_factory, settings, koji)),
        # expire composes, fail stuck ones, re-announce a wait compose nobody picked up
        Job(
            "composes",
            cron.reconcile_seconds,
            lambda: maintain_composes(session_factory, settings),
        ),
        # does nothing unless pdc.enabled
        Job(
            "sync_pdc",
            settings.pdc.sync_seconds,
            lambda: sync_pdc(session_factory, settings, pdc),
        ),
        # incremental every site_render_seconds; full every site_full_render_minutes
        Job("render_site", cron.site_render_seconds, jobs.SiteRender(session_factory, settings)),
    ]


def _guarded(job: Job, heartbeats: Heartbeats | None = None) -> Callable[[], None]:
    """One failing run is logged (and its heartbeat says so); the next run is still scheduled."""

    def run() -> None:
        started = time.monotonic()
        error = None
        try:
            job.run()
        except Exception as exc:
            log.exception("cron job %s failed", job.name)
            error = f"{type(exc).__name__}: {exc}"
        if heartbeats is not None:
            heartbeats.record(job.name, time.monotonic() - started, error)

    return run


def run_once(settings: Settings) -> None:
    heartbeats = Heartbeats(make_session_factory(settings.database_url))
    for job in job_table(settings):
        _guarded(job, heartbeats)()


def run_forever(settings: Settings) -> None:
    scheduler = BlockingScheduler(timezone="UTC")
    table = job_table(settings)
    heartbeats = Heartbeats(make_session_factory(settings.database_url))
    for job in table:
        scheduler.add_job(
            _guarded(job, heartbeats),
            "interval",
            seconds=job.seconds,
            id=job.name,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    log.info("conveyor cron: %s", ", ".join(f"{j.name} every {j.seconds}s" for j in table))
    scheduler.start()
