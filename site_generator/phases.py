"""What every render mode shares: the clock of its phases, the job, the contexts it builds.

``render_site`` (``__init__``), the incremental render (``incremental``) and the
workers of a parallel full render (``parallel``) all build their page contexts
through these functions, so the three modes cannot drift apart.
"""

from __future__ import annotations

import resource
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from jinja2 import Environment

from conveyor.settings import Settings
from site_generator import gather_site
from site_generator.context import PackageContext, SiteContext, build_contexts
from site_generator.gather import Gathered, PackageRow
from site_generator.package_index import index_contexts, page_key
from site_generator.paths import Page, package_hrefs
from site_generator.views import STATES, StateCount, state_class


class Clock:
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
class Job:
    """What one render works from: settings, the time it stamps, the index part."""

    settings: Settings
    now: datetime
    env: Environment
    site: SiteContext  # the index pages' context; package_pages is empty


def site_contexts(settings: Settings, now: datetime, data: Gathered) -> SiteContext:
    """The contexts of a chunk of packages: only its ``package_pages`` are used."""
    return build_contexts(
        data,
        now=now,
        recent_days=settings.site.recent_days,
        koji_web_url=settings.koji.web_url,
        lists=False,
    )


def index_site(settings: Settings, now: datetime, index: gather_site.IndexGathered) -> SiteContext:
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


def with_pages(packages: Iterable[PackageRow]) -> list[PackageRow]:
    """The packages that get a page: names safe as file names (the index lists the others)."""
    return [p for p in packages if package_hrefs(p.namespace, p.name) is not None]


def package_contexts(
    job: Job, reader: gather_site.Reader, packages: list, *, by_range: bool, clock: Clock
) -> Iterator[PackageContext]:
    """Package page contexts, a chunk at a time (packages without a safe path get none)."""
    for chunk in gather_site.chunks(with_pages(packages)):
        clock.lap("render")
        data = gather_site.details(reader, chunk, by_range=by_range)
        clock.lap("gather")
        pages = site_contexts(job.settings, job.now, data).package_pages
        clock.lap("context")
        yield from pages


def timed(pages: Iterable[Page], clock: Clock) -> Iterator[Page]:
    """Hand pages to the writer, charging the time in between to writing."""
    for page in pages:
        clock.lap("render")
        yield page
        clock.lap("write")


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
