"""Phase 2: typed, frozen contexts for every page, built from the gathered rows.

A context holds exactly what its page shows; ``views.jsonable`` turns the
same object into the JSON twin, so the HTML and the API can never disagree.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from site_generator.context_extras import Extras
from site_generator.context_modules import ModuleOverview, ModulesSite, build_module_contexts
from site_generator.context_pipeline import ChainsSite, ComposesSite, build_pipeline_contexts
from site_generator.gather import BuildRow, Gathered, PackageRow
from site_generator.paths import package_hrefs
from site_generator.views import (
    FAILURES,
    IN_FLIGHT,
    OMIT_IF_NONE,
    STATES,
    BuildView,
    ConsumerView,
    PushView,
    RejectedView,
    StateCount,
    TransitionView,
    jsonable,
    opt_utc,
    short,
    state_class,
    utc,
)
from site_generator.views_pipeline import (
    ChainView,
    ComposeRefView,
    ComposeView,
    StreamRefView,
    VerdictView,
)

if TYPE_CHECKING:
    from site_generator.operators import OpsSite, OverviewHealth
    from site_generator.package_index import PackageIndexContext, PackageIndexPage

__all__ = ["SiteContext", "build_contexts", "jsonable"]

log = logging.getLogger(__name__)


# The overview lists at most this many recent builds and failures (the counts tell the
# rest; every build is on its package's page): at Fedora scale the last week holds
# thousands, and the overview is rewritten by every incremental render.
OVERVIEW_LIST_LIMIT = 100


@dataclass(frozen=True)
class OverviewContext:
    generated_at: datetime
    recent_days: int
    package_count: int
    state_counts: tuple[StateCount, ...]
    in_flight: tuple[BuildView, ...]
    recent_failures: tuple[BuildView, ...]
    recent_builds: tuple[BuildView, ...]
    rejected_count: int
    rejected_recent: tuple[RejectedView, ...]
    outbox_pending: int
    consumers: tuple[ConsumerView, ...]
    modules: ModuleOverview
    # How many builds changed (and failed) within recent_days: the lists above hold
    # at most OVERVIEW_LIST_LIMIT of them, the most recent first.
    recent_builds_count: int = 0
    recent_failures_count: int = 0
    # Chains planned or running, composes waiting or generating (oldest first).
    running_chains: tuple[ChainView, ...] = ()
    composes_in_progress: tuple[ComposeView, ...] = ()
    # Stale work, consumer health, builds per day: set by operators.add_ops.
    health: OverviewHealth | None = field(default=None, metadata=OMIT_IF_NONE)


@dataclass(frozen=True)
class PackageSummary:
    namespace: str
    name: str
    href: str | None  # None: the names are unsafe as file names, so there is no page
    api_href: str | None
    latest_build: BuildView | None


@dataclass(frozen=True)
class PackagesContext:
    generated_at: datetime
    packages: tuple[PackageSummary, ...]


@dataclass(frozen=True)
class PackageContext:
    generated_at: datetime
    namespace: str
    name: str
    href: str | None
    api_href: str | None
    branch_history: tuple[PushView, ...]
    builds: tuple[BuildView, ...]  # newest first, each with its state trace
    # Module streams whose current definition includes rpms/<name>, by name and stream.
    modules: tuple[StreamRefView, ...] = ()
    ci: tuple[VerdictView, ...] = ()  # its builds' verdicts, newest build first
    composes: tuple[ComposeRefView, ...] = ()  # composes containing its builds, newest first


@dataclass(frozen=True)
class SiteContext:
    overview: OverviewContext
    packages: PackagesContext
    package_pages: tuple[PackageContext, ...]  # only packages whose names are safe
    modules: ModulesSite | None  # None: no module build yet, so no module pages
    ops: OpsSite | None = None  # operators page, search index, feed: set by operators.add_ops
    chains: ChainsSite | None = None  # rebuild chains: list and detail pages
    composes: ComposesSite | None = None  # composes: list and detail pages
    # The paged packages index (package_index): None means every page, built from
    # ``packages`` when rendered; an incremental render sets the top page and only the
    # index pages of the changed packages.
    package_index: PackageIndexContext | None = None
    package_index_pages: tuple[PackageIndexPage, ...] = ()


def _hrefs(package: PackageRow) -> tuple[str | None, str | None]:
    return _package_hrefs(package.namespace, package.name)


@lru_cache(maxsize=1 << 16)
def _package_hrefs(namespace: str, name: str) -> tuple[str | None, str | None]:
    """Cached: called for every build view (a full render makes ~250,000 at Fedora scale),
    and validating plus building PurePosixPaths was a visible part of the context phase."""
    hrefs = package_hrefs(namespace, name)
    return (None, None) if hrefs is None else hrefs


def _untraced(view: BuildView) -> BuildView:
    """The view as lists show it: without its trace (``replace`` only when it has one)."""
    return view if view.transitions is None else replace(view, transitions=None)


def _build_view(
    row: BuildRow, package: PackageRow, koji_web: str, trace: tuple[TransitionView, ...] | None
) -> BuildView:
    return BuildView(
        id=row.id,
        namespace=package.namespace,
        name=package.name,
        href=_hrefs(package)[0],
        branch=row.branch,
        commit=row.commit,
        commit_short=short(row.commit),
        target=row.target,
        nvr=row.nvr,
        state=row.state,
        state_class=state_class(row.state),
        state_reason=row.state_reason,
        reason=row.reason,
        pusher=row.pusher,
        koji_task_id=row.koji_task_id,
        koji_task_url=None
        if row.koji_task_id is None
        else f"{koji_web}/taskinfo?taskID={int(row.koji_task_id)}",
        koji_build_id=row.koji_build_id,
        koji_build_url=None
        if row.koji_build_id is None
        else f"{koji_web}/buildinfo?buildID={int(row.koji_build_id)}",
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
        completed_at=opt_utc(row.completed_at),
        transitions=trace,
    )


def build_contexts(
    data: Gathered,
    *,
    now: datetime,
    recent_days: int,
    koji_web_url: str,
    package_pages: bool = True,
    summarise: Callable[[PackageRow], bool] | None = None,
    lists: bool = True,
) -> SiteContext:
    """Every page's context from ``data``.

    The index part of a render (``render_site``) passes ``package_pages=False``:
    its builds carry no trace and it needs no package page (chunks make those),
    and ``summarise``: which packages the packages index pages it writes list
    (None: all). At Fedora scale both skip ~23,000 objects per incremental render.
    ``lists=False``: the overview lists no build (a chunk of package pages, whose
    overview nobody renders: sorting and copying its builds was ~a third of a
    worker's context phase).
    """
    now = utc(now)
    koji_web = koji_web_url.rstrip("/")
    packages = {p.id: p for p in data.packages}
    traces: dict[int, list[TransitionView]] = defaultdict(list)
    for t in data.transitions:
        traces[t.build_id].append(
            TransitionView(t.from_state, t.to_state, t.cause, t.reason, utc(t.at))
        )
    by_package: dict[int, list[BuildView]] = defaultdict(list)
    for row in data.builds:
        if row.package_id in packages:
            trace = tuple(traces[row.id]) if package_pages else None
            view = _build_view(row, packages[row.package_id], koji_web, trace)
            by_package[row.package_id].append(view)
    pushes: dict[int, list[PushView]] = defaultdict(list)
    for r in data.branch_refs:
        pushes[r.package_id].append(
            PushView(
                r.branch,
                r.old_commit,
                short(r.old_commit),
                r.new_commit,
                short(r.new_commit),
                r.pusher,
                utc(r.pushed_at),
                r.decision,
                r.message_id,
            )
        )

    # Lists without traces for the overview and index: traces live on package pages.
    builds = sorted(
        (_untraced(b) for views in by_package.values() for b in views) if lists else (),
        key=lambda b: (b.updated_at, b.id),
        reverse=True,
    )
    cutoff = now - timedelta(days=recent_days)
    recent = tuple(b for b in builds if b.updated_at and b.updated_at >= cutoff)
    failures = tuple(b for b in recent if b.state in FAILURES)
    module_overview, module_site = build_module_contexts(
        data.modules, now=now, recent_days=recent_days, koji_web=koji_web
    )
    counts = {state: 0 for state in STATES}
    for b in builds:
        counts[b.state] = counts.get(b.state, 0) + 1
    overview = OverviewContext(
        generated_at=now,
        recent_days=recent_days,
        package_count=len(packages),
        state_counts=tuple(StateCount(s, state_class(s), n) for s, n in counts.items()),
        in_flight=tuple(
            sorted((b for b in builds if b.state in IN_FLIGHT), key=lambda b: (b.created_at, b.id))
        ),
        recent_failures=failures[:OVERVIEW_LIST_LIMIT],
        recent_builds=recent[:OVERVIEW_LIST_LIMIT],
        recent_failures_count=len(failures),
        recent_builds_count=len(recent),
        rejected_count=data.rejected_count,
        rejected_recent=tuple(
            RejectedView(r.message_id, r.topic, r.consumer, r.kind, r.reason, utc(r.rejected_at))
            for r in data.rejected_recent
        ),
        outbox_pending=data.outbox_pending,
        consumers=tuple(ConsumerView(c, utc(at)) for c, at in data.last_processed),
        modules=module_overview,
    )

    summaries: list[PackageSummary] = []
    pages: list[PackageContext] = []
    extras = Extras(data.extras)
    for package in data.packages:
        if summarise is not None and not summarise(package):
            continue
        href, api_href = _hrefs(package)
        views = by_package.get(package.id, [])
        latest = _untraced(views[0]) if views else None
        summaries.append(PackageSummary(package.namespace, package.name, href, api_href, latest))
        if href is None:
            log.warning(
                "site: package %r/%r has no page: its names are not safe as file names",
                package.namespace,
                package.name,
            )
            continue
        if not package_pages:
            continue
        nvrs = [b.nvr for b in views if b.nvr]
        pages.append(
            PackageContext(
                now,
                package.namespace,
                package.name,
                href,
                api_href,
                tuple(pushes.get(package.id, ())),
                tuple(views),
                modules=tuple(extras.streams.get(package.id, ())),
                ci=extras.builds_ci(nvrs),
                composes=extras.builds_composes(nvrs),
            )
        )
    chains, composes = build_pipeline_contexts(
        data.pipeline, now=now, modules=data.modules, packages=data.packages
    )
    overview = replace(
        overview,
        running_chains=chains.running if chains is not None else (),
        composes_in_progress=composes.in_progress if composes is not None else (),
    )
    return SiteContext(
        overview,
        PackagesContext(now, tuple(summaries)),
        tuple(pages),
        module_site,
        chains=chains,
        composes=composes,
    )
