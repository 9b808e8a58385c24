"""The status site at Fedora scale: full render, re-render after one change, the data layer's cost.

    .venv/bin/python -m bench.site_scale [--database sqlite|postgresql|both]
        [--packages 23000] [--builds 250000] [--module-builds 1000] [--streams 1000]
        [--composes 5000] [--chains 50] [--changes 3] [--keep]

For each database: generate the dataset (``bench.site_dataset``: 23,000
packages, 250,000 builds with their traces and pushes, 1,000 module builds;
no composes, Conveyor has none yet) and bulk-load it (executemany on SQLite,
COPY on PostgreSQL 15 started with ``sandbox.postgres.PostgreSQL``). Then,
each in a fresh subprocess (``python -m bench.site_scale --child ...``) so
that its memory is its own:

1. **full render**: ``render_site(full=True)`` into an empty directory. Wall
   time of the call, CPU of the process and of its render workers
   (``RUSAGE_CHILDREN``), peak RSS of the process and of each worker (VmHWM).
2. **baseline**: the same pages rendered and written from page contexts
   already in memory (built from the database before the clock starts, one
   process): what a render costs without the data layer. Printed as ratios.
3. **incremental**: ``--changes`` times, one build of one package moves
   ``building -> complete`` through ``Build.transition`` (which marks the
   package dirty), then ``render_site(full=False)`` in a fresh subprocess; and
   once more with nothing dirty. Then ``--changes`` more changes, each rendered
   incrementally in one process, as the cron process renders (its first render,
   which imports and compiles the templates, is left out).

Targets (from the issue; figures, not gates): full render <= 60 s with peak
memory <= 1 GiB, re-render after one package changes <= 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import PROJECT_ROOT, load_average, remove_dir, scratch_dir, summary
from bench.site_dataset import Scale, generate, heaviest, load, now_naive

FULL_TARGET = 60.0
MEMORY_TARGET_MIB = 1024.0
INCREMENTAL_TARGET = 1.0


# -- the child: one measurement in a process of its own ----------------------------------


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _settings(out: Path) -> Any:
    from conveyor.settings import Settings, SiteSettings

    return Settings(site=SiteSettings(output_dir=str(out)))


def child_render(url: str, out: Path, full: bool) -> dict:
    from conveyor.db import make_session_factory
    from site_generator import peak_rss_kib, render_site

    factory = make_session_factory(url)
    started, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    stats = render_site(factory, _settings(out), full=full)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": _cpu(resource.RUSAGE_SELF) - cpu,
        "workers_cpu": _cpu(resource.RUSAGE_CHILDREN),
        "mode": stats.mode,
        "pages": stats.pages,
        "files": stats.files,
        "dirty": stats.dirty,
        "phases": stats.phases,
        "rss_kib": peak_rss_kib(),
        "workers_rss_kib": list(stats.worker_peak_rss),
    }


def child_baseline(url: str, out: Path) -> dict:
    """Render and write the full render's pages from contexts built beforehand (untimed)."""
    from conveyor.db import make_session_factory
    from site_generator import gather_site
    from site_generator.phases import Job, index_site, peak_rss_kib, site_contexts, with_pages
    from site_generator.render import (
        environment,
        index_pages,
        module_pages,
        package_pages,
        static_pages,
    )
    from site_generator.write import write_site

    settings = _settings(out)
    now = datetime.now(UTC)
    reader = gather_site.Reader.of(make_session_factory(url))
    try:
        cutoff = now.replace(tzinfo=None) - timedelta(days=settings.site.recent_days)
        index = gather_site.index(reader, cutoff)
        job = Job(settings, now, environment(), index_site(settings, now, index))
        contexts = []
        for chunk in gather_site.chunks(with_pages(index.data.packages)):
            data = gather_site.details(reader, chunk, by_range=True)
            contexts.extend(site_contexts(settings, now, data).package_pages)
    finally:
        reader.close()
    nav = job.site.modules is not None

    def pages() -> Any:
        yield from index_pages(job.env, job.site)
        if job.site.modules is not None:
            yield from module_pages(job.env, job.site.modules.pages)
        yield from package_pages(job.env, contexts, nav=nav)
        yield from static_pages()

    started, cpu = time.perf_counter(), _cpu(resource.RUSAGE_SELF)
    result = write_site(pages(), out)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": _cpu(resource.RUSAGE_SELF) - cpu,
        "pages": result.written - len(static_pages()),
        "rss_kib": peak_rss_kib(),
    }


def child_touch(url: str, nth: int) -> dict:
    """One build of one package finishes, as the koji consumer would record it."""
    from sqlalchemy import select

    from conveyor.db import make_session_factory
    from models import Build, Package

    factory = make_session_factory(url)
    with factory.begin() as session:
        build = session.scalars(
            select(Build).where(Build.state == "building").order_by(Build.id).offset(nth).limit(1)
        ).one()
        build.nvr, build.koji_build_id = f"bench-touched-{nth}-1.fc42", 990_000_000 + nth
        build.advance(session, "complete", cause=f"bench-{nth}")
        package = session.get(Package, build.package_id)
        return {"package": package.path, "builds_of_package": _count_builds(session, package.id)}


def _count_builds(session: Any, package_id: int) -> int:
    from sqlalchemy import func, select

    from models import Build

    return int(session.scalar(select(func.count()).where(Build.package_id == package_id)) or 0)


def child_warm(url: str, out: Path, first: int, changes: int) -> dict:
    """``changes`` changes, each rendered incrementally, all in this one process: as cron
    renders (one process, a render every few seconds), so imports and compiled
    templates are paid once, by the first render, which is left out."""
    seconds = []
    child_touch(url, first)  # the warm-up: one change, rendered, left out
    child_render(url, out, full=False)
    for nth in range(first + 1, first + 1 + changes):
        child_touch(url, nth)
        seconds.append(child_render(url, out, full=False)["seconds"])
    return {"seconds": seconds}


def child_main(argv: list[str]) -> None:
    what, url = argv[0], argv[1]
    if what == "warm":
        result = child_warm(url, Path(argv[2]), int(argv[3]), int(argv[4]))
    elif what == "render":
        result = child_render(url, Path(argv[2]), full=argv[3] == "full")
    elif what == "baseline":
        result = child_baseline(url, Path(argv[2]))
    else:
        result = child_touch(url, int(argv[2]))
    print("RESULT " + json.dumps(result))


def run_child(*args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "bench.site_scale", "--child", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"child {args[0]} failed ({done.returncode}):\n{done.stderr[-4000:]}")


# -- the parent ---------------------------------------------------------------------------


def _mib(kib: float) -> float:
    return kib / 1024


def _phases(phases: list) -> str:
    return ", ".join(f"{name} {seconds:.1f}s" for name, seconds in phases)


def measure(label: str, url: str, scale: Scale, work: Path, changes: int) -> dict:
    print(f"\n[{label}] generating and loading the dataset ...", flush=True)
    started = time.perf_counter()
    tables = generate(scale, now_naive())
    generated = time.perf_counter() - started
    counts = load(url, tables)
    loaded = time.perf_counter() - started - generated
    print(f"  generated in {generated:.1f}s, loaded in {loaded:.1f}s: "
          + ", ".join(f"{table} {count}" for table, count in counts.items()))  # fmt: skip
    print("  heaviest packages: "
          + ", ".join(f"{name} ({n} builds)" for name, n in heaviest(tables)))  # fmt: skip
    del tables

    full = run_child("render", url, str(work / f"{label}-site"), "full")
    rss_total = full["rss_kib"] + sum(full["workers_rss_kib"])
    print(
        f"  full render      {full['seconds']:7.1f} s wall  {full['cpu']:6.1f} s cpu here "
        f"+ {full['workers_cpu']:6.1f} s in {len(full['workers_rss_kib'])} workers  "
        f"{full['pages']} pages  peak RSS {_mib(full['rss_kib']):.0f} MiB here + "
        f"{' + '.join(f'{_mib(k):.0f}' for k in full['workers_rss_kib']) or '0'} MiB workers "
        f"= {_mib(rss_total):.0f} MiB"
    )
    print(f"    phases: {_phases(full['phases'])}")
    base = run_child("baseline", url, str(work / f"{label}-baseline"))
    print(
        f"  in-memory render {base['seconds']:7.1f} s wall  {base['cpu']:6.1f} s cpu "
        f"(one process)  {base['pages']} pages  (contexts held: peak RSS "
        f"{_mib(base['rss_kib']):.0f} MiB)"
    )
    incremental = []
    for nth in range(changes):
        touched = run_child("touch", url, str(nth))
        one = run_child("render", url, str(work / f"{label}-site"), "incremental")
        incremental.append(one["seconds"])
        print(
            f"  incremental #{nth + 1}   {one['seconds']:7.2f} s wall  {one['cpu']:6.2f} s cpu  "
            f"{one['pages']} pages ({touched['package']}, {touched['builds_of_package']} builds)"
            f"  phases: {_phases(one['phases'])}"
        )
    idle = run_child("render", url, str(work / f"{label}-site"), "incremental")
    print(f"  nothing dirty    {idle['seconds'] * 1000:7.1f} ms ({idle['pages']} pages)")
    warm = run_child("warm", url, str(work / f"{label}-site"), str(changes), str(changes))
    if warm["seconds"]:
        print(
            "  incremental in one process (as cron): "
            + ", ".join(f"{sec:.2f}" for sec in warm["seconds"])
            + " s"
        )
    return {
        "label": label,
        "full": full,
        "base": base,
        "incremental": incremental,
        "idle": idle["seconds"],
        "rss_total_mib": _mib(rss_total),
    }


def report(results: list[dict]) -> None:
    print(f"\nresults (load average after: {load_average()})")
    print("  database    full s  target  peak MiB  target  cpu full/in-memory  wall full/in-memory"
          "  incremental p50 s  max s  target")  # fmt: skip
    for r in results:
        full, base = r["full"], r["base"]
        cpu_full = full["cpu"] + full["workers_cpu"]
        inc = summary(r["incremental"]) if r["incremental"] else {"p50": 0.0, "max": 0.0}
        fast = "met" if full["seconds"] <= FULL_TARGET else "NOT"
        small = "met" if r["rss_total_mib"] <= MEMORY_TARGET_MIB else "NOT"
        print(
            f"  {r['label']:<10} {full['seconds']:6.1f}  {fast:>6}"
            f"  {r['rss_total_mib']:8.0f}  {small:>6}"
            f"  {cpu_full / base['cpu']:18.2f}  {full['seconds'] / base['seconds']:19.2f}"
            f"  {inc['p50']:17.2f}  {inc['max']:5.2f}"
            f"  {'met' if inc['max'] <= INCREMENTAL_TARGET else 'NOT'}"
        )  # fmt: skip


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--packages", type=int, default=Scale.packages)
    parser.add_argument("--builds", type=int, default=Scale.builds)
    parser.add_argument("--module-builds", type=int, default=Scale.module_builds)
    parser.add_argument("--streams", type=int, default=Scale.streams)
    parser.add_argument("--composes", type=int, default=Scale.composes)
    parser.add_argument("--chains", type=int, default=Scale.chains)
    parser.add_argument("--changes", type=int, default=3)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    scale = Scale(
        packages=args.packages, builds=args.builds, module_builds=args.module_builds,
        streams=args.streams, composes=args.composes, chains=args.chains,
    )  # fmt: skip
    print(f"bench.site_scale: {scale}")
    print(f"load average before: {load_average()}")
    work = scratch_dir("conveyor-site-scale-")
    results = []
    try:
        if args.database in ("sqlite", "both"):
            url = f"sqlite:///{work / 'site.sqlite'}"
            results.append(measure("sqlite", url, scale, work, args.changes))
        if args.database in ("postgresql", "both"):
            from sandbox.postgres import PostgreSQL

            with PostgreSQL(work / "pg") as pg:
                url = pg.create_database("site_scale")
                results.append(measure("postgresql", url, scale, work, args.changes))
        report(results)
    finally:
        remove_dir(work, args.keep)


if __name__ == "__main__":
    main()
