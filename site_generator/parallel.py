"""A full render's package pages in worker processes.

Rendering is CPU-bound (jinja2, JSON): a Fedora-scale full render spends most
of its two minutes of CPU there, so its package pages are rendered by WORKERS
processes, WORK_CHUNK packages at a time, each chunk read in its own snapshot
(see gather_site). The pages come back to this process, which alone writes
(write.py); at most 2 * WORKERS chunks are in flight, so memory stays bounded.
Processes are spawned, never forked (cron runs jobs in threads). A page
function appended to render.PACKAGE_PAGES must be appended at import time,
so that the workers have it too; their jinja environment gets the plain-data
globals (str, numbers) that rendering the index pages left in this one's.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePosixPath

from jinja2 import Environment
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import NullPool

from conveyor.settings import Settings
from site_generator import gather_site
from site_generator.gather import PackageRow
from site_generator.paths import Page
from site_generator.phases import Clock, Job, peak_rss_kib, site_contexts
from site_generator.render import environment, package_pages

WORKERS = min(4, os.cpu_count() or 1)
PARALLEL_FROM = 2_000  # packages; below that starting workers costs more than it saves
WORK_CHUNK = 250  # packages per task


@dataclass
class Workers:
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
    clock = Clock()
    reader = gather_site.Reader(state.engine)
    try:
        data = gather_site.details(reader, chunk, by_range=True)
    finally:
        reader.close()
    clock.lap("gather")
    contexts = site_contexts(state.settings, state.now, data).package_pages
    clock.lap("context")
    pages = [(str(p.path), p.content) for p in package_pages(state.env, contexts, nav=state.nav)]
    clock.lap("render")
    return pages, dict(clock.spent), os.getpid(), peak_rss_kib()


def _plain_globals(env: Environment) -> dict[str, object]:
    """The environment's plain-data globals (a page function may read what an index page set)."""
    plain = (str, int, float, bool)
    return {k: v for k, v in env.globals.items() if isinstance(v, plain) and not callable(v)}


def package_pages_in_workers(
    job: Job, url: str, packages: list[PackageRow], workers: Workers
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
