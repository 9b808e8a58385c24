"""The static status site: gather -> context -> render -> write.

``render_site`` is the one entry point (cron and the CLI call it). Each phase
is a module of its own: ``gather_site`` reads the database (the index part
once, package data in chunks), ``context`` builds typed page contexts,
``render`` turns them into HTML and JSON text, and ``write`` alone touches
disk.

Two modes. A full render writes every page into a new version directory and
swaps it in atomically (cron every ``cron.site_full_render_minutes``, and
``conveyor site render --full``). An incremental render (cron every
``cron.site_render_seconds``) reads the ``site_dirty`` rows that consumers
and cron wrote with their changes (or that ``models.site_dirty_listeners``
wrote for chain, compose and CI changes), and rewrites only those packages',
module builds', rebuild chains' and composes' pages plus the index pages, in
place, each file atomically (the lists of module builds, chains and composes
only when one of their kind is dirty: ``render.BY_KIND``); with nothing dirty
it costs one query. It falls back to a full render when
there is no site yet, or when the navigation every page carries changes (the
first module build).

Modules: ``phases`` (clock, job, contexts every mode builds), ``incremental``,
``parallel`` (a full render's package pages in worker processes). What a
long-lived process (cron) keeps between renders: compiled templates
(``render``), the SQLite reader engine and its compiled statements
(``gather_site``), every package's names (``known_packages``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from conveyor.settings import Settings
from models import site_dirty
from site_generator import gather_site, ops_gather, parallel
from site_generator.incremental import index_scope, render_changes
from site_generator.operators import add_ops
from site_generator.parallel import Workers, package_pages_in_workers
from site_generator.paths import MODULES_HTML, Page
from site_generator.phases import (
    Clock,
    Job,
    index_site,
    package_contexts,
    peak_rss_kib,
    site_contexts,
    timed,
    with_pages,
)
from site_generator.render import (
    environment,
    index_pages,
    module_pages,
    package_pages,
    static_pages,
)
from site_generator.render_pipeline import detail_pages
from site_generator.streams import all_stream_pages
from site_generator.views import utc
from site_generator.write import WriteResult, open_site

__all__ = [
    "FULL",
    "INCREMENTAL",
    "RenderStats",
    "index_site",
    "peak_rss_kib",
    "render_site",
    "site_contexts",
    "with_pages",
]

log = logging.getLogger(__name__)

FULL, INCREMENTAL = "full", "incremental"


@dataclass(frozen=True)
class RenderStats:
    pages: int  # HTML pages and JSON twins written
    files: int  # everything written, static files included
    skipped: int  # pages refused because their path was unsafe
    seconds: float
    output_dir: Path
    version_dir: Path | None  # where output_dir points (None: nothing rendered yet)
    phases: tuple[tuple[str, float], ...]  # (phase, seconds) in order
    mode: str = FULL  # full | incremental
    dirty: int = 0  # site_dirty rows this render covered (and deleted)
    workers: int = 0  # processes that rendered package pages (0: this one did)
    worker_peak_rss: tuple[int, ...] = ()  # KiB, each worker's peak resident memory


def render_site(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    full: bool = True,
    output_dir: Path | None = None,
    now: datetime | None = None,
) -> RenderStats:
    """Render the site into ``output_dir`` (default from settings): in full, or what changed.

    ``full=False`` is the incremental render (cron's frequent job, ``conveyor site
    render`` without ``--full``); the default stays the render that is always right.
    """
    target = Path(output_dir if output_dir is not None else settings.site.output_dir)
    now = utc(now or datetime.now(UTC))
    clock = Clock()
    workers = Workers()
    with ExitStack() as stack:
        site = stack.enter_context(open_site(target))
        reader = gather_site.Reader.of(session_factory)
        stack.callback(reader.close)
        if site.current is None:
            full = True
        dirty = gather_site.dirty(reader)
        clock.lap("dirty")
        if not full and not dirty:
            return _stats(clock, target, site.current, INCREMENTAL, None, 0, 0)
        cutoff = (now - timedelta(days=settings.site.recent_days)).replace(tzinfo=None)
        # An incremental render writes only the dirty composes' pages: only their contents.
        composes = None if full else {d.key for d in dirty if d.kind == "compose"}
        scope = None if full else index_scope(reader, site, dirty)
        # ... and only the dirty module builds' pages (all when something is new: search).
        details = None if scope is None else {d.key for d in dirty if d.kind == "module_build"}
        index = gather_site.index(reader, cutoff, composes, scope, details)
        ops = ops_gather.read(reader, now)  # operators page, overview health, feed, search
        clock.lap("gather")
        index_part = add_ops(index_site(settings, now, index), ops, settings)
        job = Job(settings, now, environment(), index_part)
        clock.lap("context")
        if not full and (job.site.modules is not None) != site.has(MODULES_HTML):
            log.info("site: the navigation changes (first module build): rendering in full")
            full = True
            index = gather_site.index(reader, cutoff)  # every compose's contents, this time
            index_part = add_ops(index_site(settings, now, index), ops, settings)
            job = Job(settings, now, environment(), index_part)
        if full:
            url = session_factory.kw["bind"].url.render_as_string(hide_password=False)
            pages = _full(job, index, reader, clock, url, workers)
            result = site.replace_all(timed(pages, clock))
            static = len(static_pages())
        else:
            result = render_changes(job, index, reader, site, dirty, clock)
            static = 0
        clock.lap("write")
    site_dirty.clear(session_factory, dirty)
    clock.lap("clear")
    mode = FULL if full else INCREMENTAL
    stats = _stats(clock, target, result.version_dir, mode, result, static, len(dirty))
    if not workers.peak_rss:
        return stats
    spent = tuple((f"{phase} (workers)", sec) for phase, sec in workers.spent.items())
    return replace(
        stats,
        phases=stats.phases + spent,
        workers=len(workers.peak_rss),
        worker_peak_rss=tuple(sorted(workers.peak_rss.values())),
    )


def _full(
    job: Job,
    index: gather_site.IndexGathered,
    reader: gather_site.Reader,
    clock: Clock,
    url: str,
    workers: Workers,
) -> Iterator[Page]:
    nav = job.site.modules is not None
    yield from index_pages(job.env, job.site)
    if job.site.modules is not None:
        yield from module_pages(job.env, job.site.modules.pages)
    yield from detail_pages(job.env, job.site)
    yield from all_stream_pages(job.env, reader, job.settings, job.now, nav=nav)
    packages = list(index.data.packages)
    if parallel.WORKERS > 1 and len(packages) >= parallel.PARALLEL_FROM:
        yield from package_pages_in_workers(job, url, with_pages(packages), workers)
    else:
        contexts = package_contexts(job, reader, packages, by_range=True, clock=clock)
        yield from package_pages(job.env, contexts, nav=nav)
    yield from static_pages()


def _stats(
    clock: Clock,
    target: Path,
    version_dir: Path | None,
    mode: str,
    result: WriteResult | None,
    static: int,
    dirty: int,
) -> RenderStats:
    written = result.written if result is not None else 0
    return RenderStats(
        pages=max(0, written - static),
        files=written,
        skipped=result.skipped if result is not None else 0,
        seconds=time.perf_counter() - clock.start,
        output_dir=target,
        version_dir=version_dir,
        phases=clock.phases(),
        mode=mode,
        dirty=dirty,
    )
