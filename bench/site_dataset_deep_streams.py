"""The module stream pages on a synthetic deep graph: how big and slow they get.

    .venv/bin/python -m bench.site_dataset_deep_streams [--streams 2000] [--previous 3]

``--streams`` definitions ``deep-NNNN:1``, each buildrequiring the
``--previous`` streams before it and ``platform:f41`` (and requiring
``platform:f41``): every stream's
transitive answers hold most of the graph, the worst case for pages that list
them (Fedora's graph is shallow: see ``site_dataset_streams``). Loaded into
SQLite after ``alembic upgrade head``; then, in this process, the stream
pages are gathered, built, rendered and written with the site's own
functions (``site_generator.streams.all_stream_pages`` and ``write_site``).
Printed: wall and CPU time of that, the files and bytes written, the largest
page, peak RSS. The baseline beside it: the same number of stream pages of a
shallow graph (each stream buildrequiring only ``platform:f41``), same code.

The script imports nothing of the site that predates the stream pages, so
it runs against an older checkout too (``PYTHONPATH=<checkout> python
bench/site_dataset_deep_streams.py``): that is how the figures before the
pages were bounded were taken.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def _load(path: Path, streams: int, previous: int) -> None:
    from models.migrations import upgrade

    upgrade(f"sqlite:///{path}")
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    definitions, deps = [], []
    for i in range(streams):
        definitions.append((i + 1, f"deep-{i:04d}", "1", "file", f"d{i}", "", 2, None, "{}", now))
        earlier = [(f"deep-{j:04d}", "1") for j in range(max(0, i - previous), i)]
        wanted = [("platform", "f41"), *earlier]
        for module, stream in wanted:
            deps.append((len(deps) + 1, i + 1, 0, "buildrequires", module, json.dumps([stream])))
        deps.append((len(deps) + 1, i + 1, 0, "requires", "platform", json.dumps(["f41"])))
    connection = sqlite3.connect(path)
    try:
        connection.executemany(
            "INSERT INTO module_stream_definitions (id, name, stream, source_kind, source, origin,"
            " mdversion, eol, servicelevels, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            definitions,
        )
        connection.executemany(
            "INSERT INTO module_dependencies (id, definition_id, block, kind, module, streams)"
            " VALUES (?,?,?,?,?,?)",
            deps,
        )
        connection.commit()
    finally:
        connection.close()


def _render(path: Path, out: Path) -> dict:
    from conveyor.db import make_session_factory
    from conveyor.settings import Settings, SiteSettings
    from site_generator.gather_site import Reader
    from site_generator.render import environment
    from site_generator.streams import all_stream_pages
    from site_generator.write import write_site

    settings = Settings(site=SiteSettings(output_dir=str(out)))
    reader = Reader.of(make_session_factory(f"sqlite:///{path}"))
    started = time.perf_counter()
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    try:
        pages = all_stream_pages(environment(), reader, settings, datetime.now(UTC), nav=True)
        result = write_site(pages, out)
    finally:
        reader.close()
    after = resource.getrusage(resource.RUSAGE_SELF)
    files = [p for p in out.rglob("*") if p.is_file()]
    largest = max(files, key=lambda p: p.stat().st_size)
    return {
        "seconds": time.perf_counter() - started,
        "cpu": after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime,
        "files": result.written,
        "bytes": sum(p.stat().st_size for p in files),
        "largest": (str(largest.relative_to(out)), largest.stat().st_size),
        "rss_mib": after.ru_maxrss / 1024,
    }


def _one(work: Path, label: str, streams: int, previous: int) -> dict:
    db = work / f"{label}.sqlite"
    _load(db, streams, previous)
    result = _render(db, work / f"{label}-site")
    print(
        f"  {label:<8} {streams} streams, previous {previous}: {result['seconds']:7.1f} s wall "
        f"{result['cpu']:7.1f} s cpu  {result['files']} files  {result['bytes'] / 2**20:7.1f} MiB"
        f"  largest {result['largest'][0]} {result['largest'][1] / 1024:.0f} KiB"
        f"  peak RSS {result['rss_mib']:.0f} MiB",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--previous", type=int, default=3)
    parser.add_argument("--child", choices=("deep", "shallow"))
    parser.add_argument("--work")
    args = parser.parse_args()
    if args.child:  # one measurement per process: peak RSS is its own
        previous = args.previous if args.child == "deep" else 0
        _one(Path(args.work), args.child, args.streams, previous)
        return
    import subprocess
    import tempfile

    print(f"load average before: {os.getloadavg()}")
    # the project the script runs against: PYTHONPATH's, else the checkout it lives in
    root = os.environ.get("PYTHONPATH") or str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory(prefix="conveyor-deep-streams-") as work:
        for child in ("shallow", "deep"):
            subprocess.run(
                [sys.executable, __file__, "--child", child, "--work", work,
                 "--streams", str(args.streams), "--previous", str(args.previous)],
                check=True, env={**os.environ, "PYTHONPATH": root},
            )  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
