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
place, each file atomically;
with nothing dirty it costs one query. It falls back to a full render when
there is no site yet, or when the navigation every page carries changes (the
first module build).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import resource
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath

from jinja2 import Environment
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from conveyor.settings import Settings
from models import site_dirty
from models.site_dirty import DirtyRow
from site_generator import gather_site, ops_gather
from site_generator.context import PackageContext, SiteContext, build_contexts
from site_generator.gather import Gathered, PackageRow
from site_generator.operators import add_ops
from site_generator.package_index import index_contexts, page_key
from site_generator.paths import (
    MODULES_HTML,
    Page,
    chain_paths,
    compose_paths,
    module_build_paths,
    package_hrefs,
    package_paths,
)
from site_generator.render import (
    environment,
    index_pages,
    module_pages,
    package_pages,
    static_pages,
)
from site_generator.render_pipeline import detail_pages
from site_generator.streams import all_stream_pages, streams_changed
from site_generator.views import STATES, StateCount, state_class, utc
from site_generator.write import SiteDir, WriteResult, open_site

__all__ = ["FULL", "INCREMENTAL", "RenderStats", "render_site"]

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


class _Clock:
    """Seconds per phase, summed: a full render interleaves its phases chunk by chunk."""

    def __init__(self) -> None:
        self.start = self.tick = time.perf_counter()
        self.spent: dict[str, float] = defaultdict(float)

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.spent[phase] += now - self.tick
        self.tick = now

    def phases(self) -> tuple[tuple[str, float], ...]:
        order = ("dirty", "gather", "context", "render", "write", "clear")
        return tuple((p, self.spent[p]) for p in order if p in self.spent)


@dataclass(frozen=True)
class _Job:
    """What one render works from: settings, the time it stamps, the index part."""

    settings: Settings
    now: datetime
    env: Environment
    site: SiteContext  # the index pages' context; package_pages is empty


def _contexts(settings: Settings, now: datetime, data: Gathered) -> SiteContext:
    return build_contexts(
        data,
        now=now,
        recent_days=settings.site.recent_days,
        koji_web_url=settings.koji.web_url,
    )


def _index_site(settings: Settings, now: datetime, index: gather_site.IndexGathered) -> SiteContext:
    """The context of the index pages: counts from the database, lists from the listed builds."""
    scope = index.index_pages
    site = build_contexts(
        index.data,
        now=now,
        recent_days=settings.site.recent_days,
        koji_web_url=settings.koji.web_url,
        package_pages=False,
        summarise=None if scope is None else lambda p: page_key(p.name) in scope,
    )
    counts = dict.fromkeys(STATES, 0)
    for state, count in sorted(index.build_states.items()):
        counts[state] = counts.get(state, 0) + count
    state_counts = tuple(StateCount(s, state_class(s), n) for s, n in counts.items())
    overview = replace(site.overview, state_counts=state_counts)
    site = replace(site, overview=overview, package_pages=())
    if index.index_pages is None:
        return site  # every index page, built from site.packages when rendered
    names = [p.name for p in index.data.packages]
    top, pages = index_contexts(now, names, site.packages.packages, index.index_pages)
    return replace(site, package_index=top, package_index_pages=pages)


def _with_pages(packages: Iterable[PackageRow]) -> list[PackageRow]:
    """The packages that get a page: names safe as file names (the index lists the others)."""
    return [p for p in packages if package_hrefs(p.namespace, p.name) is not None]


def _package_contexts(
    job: _Job, reader: gather_site.Reader, packages: list, *, by_range: bool, clock: _Clock
) -> Iterator[PackageContext]:
    """Package page contexts, a chunk at a time (packages without a safe path get none)."""
    for chunk in gather_site.chunks(_with_pages(packages)):
        clock.lap("render")
        data = gather_site.details(reader, chunk, by_range=by_range)
        clock.lap("gather")
        contexts = _contexts(job.settings, job.now, data).package_pages
        clock.lap("context")
        yield from contexts


def _timed(pages: Iterable[Page], clock: _Clock) -> Iterator[Page]:
    """Hand pages to the writer, charging the time in between to writing."""
    for page in pages:
        clock.lap("render")
        yield page
        clock.lap("write")


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
    clock = _Clock()
    workers = _Workers()
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
        scope = None if full else _index_scope(reader, site, dirty)
        # ... and only the dirty module builds' pages (all when something is new: search).
        details = None if scope is None else {d.key for d in dirty if d.kind == "module_build"}
        index = gather_site.index(reader, cutoff, composes, scope, details)
        ops = ops_gather.read(reader, now)  # operators page, overview health, feed, search
        clock.lap("gather")
        index_site = add_ops(_index_site(settings, now, index), ops, settings)
        job = _Job(settings, now, environment(), index_site)
        clock.lap("context")
        if not full and (job.site.modules is not None) != site.has(MODULES_HTML):
            log.info("site: the navigation changes (first module build): rendering in full")
            full = True
            index = gather_site.index(reader, cutoff)  # every compose's contents, this time
            index_site = add_ops(_index_site(settings, now, index), ops, settings)
            job = _Job(settings, now, environment(), index_site)
        if full:
            url = session_factory.kw["bind"].url.render_as_string(hide_password=False)
            pages = _full(job, index, reader, clock, url, workers)
            result = site.replace_all(_timed(pages, clock))
            static = len(static_pages())
        else:
            result = _incremental(job, index, reader, site, dirty, clock)
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
    job: _Job,
    index: gather_site.IndexGathered,
    reader: gather_site.Reader,
    clock: _Clock,
    url: str,
    workers: _Workers,
) -> Iterator[Page]:
    nav = job.site.modules is not None
    yield from index_pages(job.env, job.site)
    if job.site.modules is not None:
        yield from module_pages(job.env, job.site.modules.pages)
    yield from detail_pages(job.env, job.site)
    yield from all_stream_pages(job.env, reader, job.settings, job.now, nav=nav)
    packages = list(index.data.packages)
    if WORKERS > 1 and len(packages) >= PARALLEL_FROM:
        yield from _parallel_package_pages(job, url, _with_pages(packages), workers)
    else:
        contexts = _package_contexts(job, reader, packages, by_range=True, clock=clock)
        yield from package_pages(job.env, contexts, nav=nav)
    yield from static_pages()


def peak_rss_kib() -> int:
    """This process's peak resident memory (KiB): VmHWM, which starts afresh at exec.

    (``ru_maxrss`` does not: a spawned worker would report its parent's peak.)
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# -- a full render's package pages in worker processes ------------------------------------
#
# Rendering is CPU-bound (jinja2, JSON): a Fedora-scale full render spends most
# of its two minutes of CPU there, so its package pages are rendered by WORKERS
# processes, WORK_CHUNK packages at a time, each chunk read in its own snapshot
# (see gather_site). The pages come back to this process, which alone writes
# (write.py); at most 2 * WORKERS chunks are in flight, so memory stays bounded.
# Processes are spawned, never forked (cron runs jobs in threads). A page
# function appended to render.PACKAGE_PAGES must be appended at import time,
# so that the workers have it too; their jinja environment gets the plain-data
# globals (str, numbers) that rendering the index pages left in this one's.

WORKERS = min(4, os.cpu_count() or 1)
PARALLEL_FROM = 2_000  # packages; below that starting workers costs more than it saves
WORK_CHUNK = 250  # packages per task


@dataclass
class _Workers:
    """What the workers of one render reported: time per phase, summed, and peak RSS each."""

    spent: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    peak_rss: dict[int, int] = field(default_factory=dict)  # pid -> KiB


@dataclass(frozen=True)
class _WorkerState:
    engine: Engine
    settings: Settings
    now: datetime
    env: Environment
    nav: bool


_worker: _WorkerState | None = None


def _worker_start(
    url: str, settings: Settings, now: datetime, nav: bool, env_data: dict[str, object]
) -> None:
    global _worker
    engine = gather_site.read_engine(create_engine(url, poolclass=NullPool))
    env = environment()
    env.globals.update(env_data)  # what rendering the index pages left there (plain data)
    _worker = _WorkerState(engine, settings, now, env, nav)


def _render_chunk(
    chunk: list[PackageRow],
) -> tuple[list[tuple[str, str]], dict[str, float], int, int]:
    """In a worker: one chunk's pages as (path, text), time per phase, pid, peak RSS (KiB)."""
    state = _worker
    assert state is not None, "_worker_start did not run"
    clock = _Clock()
    reader = gather_site.Reader(state.engine)
    try:
        data = gather_site.details(reader, chunk, by_range=True)
    finally:
        reader.close()
    clock.lap("gather")
    contexts = _contexts(state.settings, state.now, data).package_pages
    clock.lap("context")
    pages = [(str(p.path), p.content) for p in package_pages(state.env, contexts, nav=state.nav)]
    clock.lap("render")
    return pages, dict(clock.spent), os.getpid(), peak_rss_kib()


def _plain_globals(env: Environment) -> dict[str, object]:
    """The environment's plain-data globals (a page function may read what an index page set)."""
    plain = (str, int, float, bool)
    return {k: v for k, v in env.globals.items() if isinstance(v, plain) and not callable(v)}


def _parallel_package_pages(
    job: _Job, url: str, packages: list[PackageRow], workers: _Workers
) -> Iterator[Page]:
    chunks = gather_site.chunks(packages, WORK_CHUNK)
    pool = ProcessPoolExecutor(
        WORKERS,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_start,
        initargs=(
            url,
            job.settings,
            job.now,
            job.site.modules is not None,
            _plain_globals(job.env),
        ),
    )
    pending: set[Future] = set()

    def submit() -> None:
        chunk = next(chunks, None)
        if chunk is not None:
            pending.add(pool.submit(_render_chunk, chunk))

    try:
        for _ in range(2 * WORKERS):
            submit()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                pending.discard(future)
                submit()
                pages, spent, pid, rss = future.result()
                for phase, seconds in spent.items():
                    workers.spent[phase] += seconds
                workers.peak_rss[pid] = max(rss, workers.peak_rss.get(pid, 0))
                for path, content in pages:
                    yield Page(PurePosixPath(path), content)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _incremental(
    job: _Job,
    index: gather_site.IndexGathered,
    reader: gather_site.Reader,
    site: SiteDir,
    dirty: tuple[DirtyRow, ...],
    clock: _Clock,
) -> WriteResult:
    keys: dict[str, set[int]] = defaultdict(set)
    for row in dirty:
        keys[row.kind].add(row.key)
    packages = [p for p in index.data.packages if p.id in keys["package"]]
    modules = job.site.modules.pages if job.site.modules is not None else ()
    changed_modules = [m for m in modules if m.module_build.id in keys["module_build"]]
    contexts = list(_package_contexts(job, reader, packages, by_range=False, clock=clock))
    clock.lap("context")
    new = index.index_pages is None  # something got its first page (_index_scope)
    nav = job.site.modules is not None
    pages = [
        *index_pages(job.env, job.site, new=new),
        *module_pages(job.env, changed_modules),
        *detail_pages(job.env, job.site, keys["chain"], keys["compose"]),
        *(
            all_stream_pages(job.env, reader, job.settings, job.now, nav=nav)
            if streams_changed(dirty, site)
            else ()
        ),
        *package_pages(job.env, contexts, nav=job.site.modules is not None),
    ]
    clock.lap("render")
    return site.update(pages)


def _index_scope(
    reader: gather_site.Reader, site: SiteDir, dirty: tuple[DirtyRow, ...]
) -> frozenset[str] | None:
    """The packages index pages an incremental render rewrites: those of the dirty packages.

    None (every index page, and the search index) when a dirty package, module
    build, chain or compose has no page yet: the search index must list it.
    """
    keys: dict[str, set[int]] = defaultdict(set)
    for row in dirty:
        keys[row.kind].add(row.key)
    packages = gather_site.package_names(reader, keys["package"])
    paths = [package_paths(p.namespace, p.name) for p in packages]
    paths += [module_build_paths(k) for k in keys["module_build"]]
    paths += [chain_paths(k) for k in keys["chain"]]
    paths += [compose_paths(k) for k in keys["compose"]]
    if any(p is not None and not site.has(p[0]) for p in paths):
        return None
    return frozenset(page_key(p.name) for p in packages)


def _stats(
    clock: _Clock,
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
