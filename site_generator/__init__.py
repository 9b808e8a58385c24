"""The static status site: gather -> context -> render -> write.

``render_site`` is the one entry point (cron and the CLI call it). Each phase
is a module of its own: ``gather`` reads the database in a fixed number of
queries, ``context`` builds typed page contexts, ``render`` turns them into
HTML and JSON text, and ``write`` alone touches disk, swapping the new site
in atomically.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from conveyor.settings import Settings
from site_generator.context import build_contexts
from site_generator.gather import gather
from site_generator.render import render_pages, static_pages
from site_generator.write import write_site

__all__ = ["RenderStats", "render_site"]


@dataclass(frozen=True)
class RenderStats:
    pages: int  # HTML pages and JSON twins written
    files: int  # everything written, static files included
    skipped: int  # pages refused because their path was unsafe
    seconds: float
    output_dir: Path
    version_dir: Path  # where output_dir now points
    phases: tuple[tuple[str, float], ...]  # (phase, seconds) in order


def render_site(
    session_factory: sessionmaker[Session],
    settings: Settings,
    *,
    output_dir: Path | None = None,
    now: datetime | None = None,
) -> RenderStats:
    """Render the whole site from the database into ``output_dir`` (default from settings)."""
    target = Path(output_dir if output_dir is not None else settings.site.output_dir)
    now = now or datetime.now(UTC)
    phases: list[tuple[str, float]] = []
    start = clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        tick = time.perf_counter()
        phases.append((name, tick - clock))
        clock = tick

    data = gather(session_factory)
    lap("gather")
    site = build_contexts(
        data, now=now, recent_days=settings.site.recent_days, koji_web_url=settings.koji.web_url
    )
    lap("context")
    pages = render_pages(site)
    static = static_pages()
    lap("render")
    result = write_site([*pages, *static], target)
    lap("write")
    return RenderStats(
        pages=max(0, result.written - len(static)),
        files=result.written,
        skipped=result.skipped,
        seconds=time.perf_counter() - start,
        output_dir=target,
        version_dir=result.version_dir,
        phases=tuple(phases),
    )
