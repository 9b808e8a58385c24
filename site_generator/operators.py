"""Phase 2 for operators: their page, the overview's health part, the search index, the feed.

``add_ops`` takes the index pages' site context and returns it with these
parts filled in, so ``context.build_contexts`` stays as it was: the
operators' data and the chart's builds come from ``ops_gather``, stale work
from the in-flight builds the index already lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from conveyor.settings import Settings
from site_generator.charts import BarChart, BuildPoint, DayCount, bar_chart, builds_per_day
from site_generator.feeds import Feed, global_feed
from site_generator.ops_gather import BODY_CHARS, OpsGathered
from site_generator.views import HTML_ONLY, BuildView, opt_utc, utc
from site_generator.views_modules import ModuleBuildView

if TYPE_CHECKING:
    from site_generator.context import SiteContext

OPERATORS_HREF = "operators.html"
OPERATORS_API = "api/v1/operators.json"


@dataclass(frozen=True)
class ConsumerHealth:
    consumer: str
    processed: int  # messages in the inbox (handled or ignored)
    last_processed_at: datetime | None
    quiet_minutes: int | None  # since the last processed message
    rejected: int
    last_rejected_at: datetime | None


@dataclass(frozen=True)
class RejectedBodyView:
    message_id: str
    topic: str
    consumer: str
    kind: str
    reason: str
    rejected_at: datetime
    body: str  # the first BODY_CHARS characters, as received (escaped by the template)
    body_length: int
    body_truncated: bool


@dataclass(frozen=True)
class OutboxView:
    unsent: int
    oldest_unsent_at: datetime | None
    oldest_unsent_minutes: int | None  # its age
    failing: int
    last_error: str | None


@dataclass(frozen=True)
class ReconcilerView:
    """The newest correction each reconciler made (its runs are in ``CronJobView``)."""

    last_correction_at: datetime | None
    builds_at: datetime | None
    module_builds_at: datetime | None
    components_at: datetime | None


@dataclass(frozen=True)
class CronJobView:
    """One cron job's heartbeat (``cron_runs``): written at most once a minute per job."""

    job: str
    finished_at: datetime
    minutes_ago: int | None
    outcome: str  # of the last recorded run: ok | error
    seconds: float
    error: str | None
    last_ok_at: datetime | None
    runs: int  # since its cron process started
    failures: int


@dataclass(frozen=True)
class OperatorsContext:
    generated_at: datetime
    rejected_total: int
    rejected_body_chars: int
    rejected: tuple[RejectedBodyView, ...]  # newest first
    consumers: tuple[ConsumerHealth, ...]
    outbox: OutboxView
    reconciler: ReconcilerView
    cron_jobs: tuple[CronJobView, ...]


@dataclass(frozen=True)
class OverviewHealth:
    """The overview's part: what went quiet, how the consumers fare, builds per day."""

    stale_minutes: int
    stale_builds: tuple[BuildView, ...]  # queued or building, no news for stale_minutes
    stale_module_builds: tuple[ModuleBuildView, ...]  # init, wait or build, idem
    consumers: tuple[ConsumerHealth, ...]
    outbox_unsent: int
    builds_per_day: tuple[DayCount, ...]  # oldest first
    operators_href: str
    chart: BarChart = field(metadata=HTML_ONLY)


@dataclass(frozen=True)
class OpsSite:
    operators: OperatorsContext
    feed: Feed  # the global one; package feeds are made with the package pages
    base_url: str  # settings.site.base_url, for the feeds' absolute links


def _minutes(now: datetime, then: datetime | None) -> int | None:
    return None if then is None else max(0, int((now - utc(then)).total_seconds() // 60))


def _consumers(ops: OpsGathered, now: datetime) -> tuple[ConsumerHealth, ...]:
    inbox = {row.consumer: row for row in ops.inbox}
    rejected = {row.consumer: row for row in ops.rejections}
    result = []
    for name in sorted(inbox.keys() | rejected.keys()):
        seen, lost = inbox.get(name), rejected.get(name)
        last = None if seen is None else utc(seen.last_processed_at)
        result.append(
            ConsumerHealth(
                consumer=name,
                processed=0 if seen is None else seen.processed,
                last_processed_at=last,
                quiet_minutes=_minutes(now, last),
                rejected=0 if lost is None else lost.rejected,
                last_rejected_at=None if lost is None else utc(lost.last_rejected_at),
            )
        )
    return tuple(result)


def _operators(ops: OpsGathered, now: datetime) -> OperatorsContext:
    corrections = [
        t
        for t in (ops.reconciler_builds_at, ops.reconciler_modules_at, ops.reconciler_components_at)
        if t is not None
    ]
    oldest = opt_utc(ops.outbox_oldest_unsent)
    return OperatorsContext(
        generated_at=now,
        rejected_total=ops.rejected_total,
        rejected_body_chars=BODY_CHARS,
        rejected=tuple(
            RejectedBodyView(
                r.message_id,
                r.topic,
                r.consumer,
                r.kind,
                r.reason,
                utc(r.rejected_at),
                r.body or "",
                r.body_length or 0,
                (r.body_length or 0) > BODY_CHARS,
            )
            for r in ops.rejected
        ),
        consumers=_consumers(ops, now),
        outbox=OutboxView(
            ops.outbox_unsent,
            oldest,
            _minutes(now, oldest),
            ops.outbox_failing,
            ops.outbox_last_error,
        ),
        reconciler=ReconcilerView(
            utc(max(corrections)) if corrections else None,
            opt_utc(ops.reconciler_builds_at),
            opt_utc(ops.reconciler_modules_at),
            opt_utc(ops.reconciler_components_at),
        ),
        cron_jobs=tuple(
            CronJobView(
                r.job,
                utc(r.finished_at),
                _minutes(now, utc(r.finished_at)),
                r.outcome,
                round(r.seconds, 3),
                r.error,
                opt_utc(r.last_ok_at),
                r.runs,
                r.failures,
            )
            for r in ops.cron_runs
        ),
    )


def _points(ops: OpsGathered) -> list[BuildPoint]:
    points = []
    for b in ops.active_builds:
        out = opt_utc(b.left_queue_at)
        if out is None and b.state != "queued":  # a trace without the step: when it ended
            out = opt_utc(b.completed_at) or utc(b.created_at)
        points.append(BuildPoint(b.state, utc(b.created_at), out, opt_utc(b.completed_at)))
    return points


def add_ops(site: SiteContext, ops: OpsGathered, settings: Settings) -> SiteContext:
    """``site`` with the overview's health part and the operators page, search index, feed."""
    now = site.overview.generated_at
    stale_minutes = settings.site.stale_minutes
    cutoff = now - timedelta(minutes=stale_minutes)
    operators = _operators(ops, now)
    days = builds_per_day(_points(ops), now)
    modules = site.overview.modules.in_progress
    health = OverviewHealth(
        stale_minutes=stale_minutes,
        stale_builds=tuple(b for b in site.overview.in_flight if _before(b.updated_at, cutoff)),
        stale_module_builds=tuple(m for m in modules if _before(m.updated_at, cutoff)),
        consumers=operators.consumers,
        outbox_unsent=ops.outbox_unsent,
        builds_per_day=days,
        operators_href=OPERATORS_HREF,
        chart=bar_chart(days),
    )
    module_builds = site.modules.index.module_builds if site.modules is not None else ()
    base_url = settings.site.base_url
    feed = global_feed(ops.failed_builds, module_builds, base_url)
    ops_site = OpsSite(operators, feed, base_url)
    overview = replace(site.overview, health=health)  # type: ignore[call-arg]
    return replace(site, overview=overview, ops=ops_site)  # type: ignore[call-arg]


def _before(when: datetime | None, cutoff: datetime) -> bool:
    return when is not None and when < cutoff
