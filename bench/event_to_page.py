"""From a koji completion message to the package page showing it, with the real processes.

    .venv/bin/python -m bench.event_to_page [--samples 30] [--builds 60]
        [--render-seconds 5] [--database sqlite|postgresql]

A ``Sandbox`` with the real koji consumer (``fedora-messaging consume``) and
the real ``conveyor cron`` (its site job: incremental every
``cron.site_render_seconds``, the setting's default unless told), seeded with
``--builds`` builds in state ``building`` over 50 packages (as
``bench.consumer_throughput`` seeds them). The cron's first run renders the
site in full. Then, one sample at a time: take ``time.time()``, publish the
koji ``buildsys.build.state.change`` COMPLETE message of one build, and poll
the package's JSON twin (``api/v1/packages/rpms/<name>.json``, every 20 ms)
until it shows that build ``complete``; then wait a random 0.2 s to 0.2 s +
the cron period, so that samples fall anywhere in the cron's period.

Baseline, for each sample: the time the same message took to be consumed and
committed (the build's ``completed_at``, written in the consumer's
transaction). The difference is the site's part: waiting for the next cron
tick, and the incremental render. Not a test: it never fails on a time.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC
from pathlib import Path

from sqlalchemy import select

from bench.common import load_average, remove_dir, scratch_dir, summary, verdict, wait_until
from bench.consumer_throughput import TOPIC, complete_message, package_name, seed_builds
from conveyor.settings_sections import CronSettings
from models import Build
from sandbox.bus import Bus
from sandbox.postgres import PostgreSQL
from sandbox.system import Sandbox, SandboxOptions

TARGET_P95 = 5.0
POLL = 0.02
SEED = 4242  # the pauses between samples


def shows_complete(twin: Path, build_id: int) -> bool:
    try:
        data = json.loads(twin.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # not there yet (a reader never sees half a file: os.replace)
    return any(b["id"] == build_id and b["state"] == "complete" for b in data["builds"])


def committed_at(box: Sandbox, build_id: int) -> float | None:
    with box.session_factory() as session:
        build = session.scalars(select(Build).where(Build.id == build_id)).one()
        if build.state != "complete" or build.completed_at is None:
            return None
        return build.completed_at.replace(tzinfo=UTC).timestamp()


def run(args: argparse.Namespace, workdir: Path, url: str | None) -> tuple[list, list]:
    options = SandboxOptions(
        database_url=url,
        replicas={"koji": 1},
        cron=True,
        reconcile_seconds=3600,  # the seeded tasks are not the hub's: leave them alone
        extra_settings={
            "cron": {
                "outbox_flush_seconds": 2,
                "outbox_grace_seconds": 2,
                "reconcile_seconds": 3600,
                "site_render_seconds": args.render_seconds,
            }
        },
    )
    box = Sandbox(workdir / "box", options)
    box.start()
    page_latency, commit_latency = [], []
    rng = random.Random(SEED)
    try:
        seed_builds(box, args.builds)
        with box.session_factory() as session:
            ids = list(session.scalars(select(Build.id).order_by(Build.id)))
        site = box.workdir / "site"
        first_twin = site / "api/v1/packages/rpms" / f"{package_name(0)}.json"
        wait_until(first_twin.exists, timeout=120, what="the first full render")
        print(f"site rendered in full; {len(ids)} builds building over 50 packages")
        with Bus(box.broker.url) as bus:
            for i in range(args.samples):
                twin = site / "api/v1/packages/rpms" / f"{package_name(i)}.json"
                started = time.time()
                bus.publish(TOPIC, complete_message(box, i))
                wait_until(
                    lambda twin=twin, i=i: shows_complete(twin, ids[i]),
                    timeout=120,
                    what=f"the page of build {ids[i]}",
                    interval=POLL,
                    alive=lambda: box.processes.alive("cron") and box.processes.alive("koji-0"),
                )
                page_latency.append(time.time() - started)
                at = committed_at(box, ids[i])
                commit_latency.append((at - started) if at is not None else float("nan"))
                # A random pause: samples land anywhere in the cron's period, not in step
                time.sleep(rng.uniform(0.2, 0.2 + args.render_seconds))
    finally:
        box.stop()
    return page_latency, commit_latency


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--builds", type=int, default=60)
    parser.add_argument("--render-seconds", type=int, default=CronSettings.site_render_seconds)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.builds < args.samples:
        parser.error("--builds must be at least --samples")
    print("bench.event_to_page: koji COMPLETE message -> package page JSON shows it")
    print(f"cron.site_render_seconds = {args.render_seconds}; load average: {load_average()}")
    workdir = scratch_dir("conveyor-bench-event-to-page-")
    postgres = PostgreSQL(workdir / "postgres") if args.database == "postgresql" else None
    try:
        url = None
        if postgres is not None:
            postgres.start()
            url = postgres.create_database("bench_event_to_page")
        page, commit = run(args, workdir, url)
    finally:
        if postgres is not None:
            postgres.stop()
        remove_dir(workdir, args.keep)
    page_s, commit_s = summary(page), summary(commit)
    print(f"\nresults ({len(page)} samples, {args.database}; load average after: {load_average()})")
    for label, s in (("consumed and committed", commit_s), ("package page shows it", page_s)):
        print(
            f"  {label:<24} p50 {s['p50']:6.2f} s  p95 {s['p95']:6.2f} s  mean {s['mean']:6.2f}"
            f"  min {s['min']:6.2f}  max {s['max']:6.2f}"
        )
    print(
        f"  the site's part (page - commit): p50 {page_s['p50'] - commit_s['p50']:.2f} s;"
        f" ratio page/commit p50 {page_s['p50'] / commit_s['p50']:.1f}x"
    )
    print(f"  page p95 {page_s['p95']:.2f} s: {verdict(page_s['p95'], TARGET_P95, False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
