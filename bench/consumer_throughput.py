"""Throughput of the real koji consumer against a trivial callback, both under fedora-messaging.

    .venv/bin/python -m bench.consumer_throughput [--messages N] [--database sqlite|postgresql|both]

For each database: seed N builds in state ``building`` (each with its koji
task id), pre-load N koji ``buildsys.build.state.change`` COMPLETE messages
(new=1, old=0) naming those tasks, NVRs and packages into two durable queues
bound to the same routing key (one publish, both queues get every message),
then drain them one after the other with

1. ``fedora-messaging consume`` running ``bench.trivial:CountingConsumer``
   (counts, nothing else), and
2. ``fedora-messaging consume`` running ``consumers.koji:KojiConsumer``
   (inbox row, locked read, transition, trace row, outbox row, commit, then
   publishing the outbox row to the broker).

Rate = (N - 1) / (time the last message was handled - time the first was),
as recorded by the consumers themselves (the counter file; the builds'
``completed_at``), so process start-up and polling are not counted. The
wall figure (consumer start -> queue drained and, for the real consumer,
every build complete, polled with a passive queue_declare) is printed beside
it. Not a test: it never fails on a time.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench.common import (
    Queues,
    load_average,
    print_schema_packages,
    remove_dir,
    scratch_dir,
    start_consumer,
    verdict,
    wait_until,
)
from models import Build, BuildTransition, OutboxMessage, Package, RejectedMessage
from sandbox.broker import RabbitMQ
from sandbox.bus import Bus
from sandbox.fmconf import write_fm_conf
from sandbox.postgres import PostgreSQL
from sandbox.system import PREFIX, Sandbox, SandboxOptions

TOPIC = f"{PREFIX}.buildsys.build.state.change"
TARGET = "rawhide"
FIRST_TASK_ID = 700_000
FIRST_BUILD_ID = 900_000
PACKAGES = 50  # builds are spread over this many packages
TARGET_RATIO = 0.8


@dataclass
class Run:
    label: str
    messages: int
    first: float  # unix time the first message was handled
    last: float  # unix time the last message was handled
    started: float  # unix time the consumer process was started
    finished: float  # unix time the poller saw the queue drained (and builds complete)

    @property
    def rate(self) -> float:
        return (self.messages - 1) / (self.last - self.first)

    @property
    def wall_rate(self) -> float:
        return self.messages / (self.finished - self.started)

    def line(self) -> str:
        return (
            f"  {self.label:<34} {self.rate:8.1f} msg/s  "
            f"(handled {self.messages} in {self.last - self.first:6.2f} s; "
            f"wall incl. start-up {self.finished - self.started:6.2f} s = "
            f"{self.wall_rate:6.1f} msg/s)"
        )


def package_name(i: int) -> str:
    return f"benchpkg{i % PACKAGES:03d}"


def release(i: int) -> str:
    return f"{i + 1}.fc41"


def seed_builds(box: Sandbox, count: int) -> None:
    """``count`` builds in state building, each waiting for its koji task."""
    with box.session_factory.begin() as session:
        packages = [Package(namespace="rpms", name=package_name(i)) for i in range(PACKAGES)]
        session.add_all(packages)
        session.flush()
        for i in range(count):
            package = packages[i % PACKAGES]
            commit = f"{i:040x}"
            session.add(
                Build(
                    package_id=package.id,
                    branch="rawhide",
                    commit=commit,
                    target=TARGET,
                    source=f"git+{box.distgit.url_for('rpms', package.name)}#{commit}",
                    state="building",
                    reason="seeded by bench.consumer_throughput",
                    pusher="bench",
                    koji_task_id=FIRST_TASK_ID + i,
                )
            )


def complete_message(box: Sandbox, i: int) -> dict:
    """A koji COMPLETE message as the hub plugin sends it (fedora-messaging era)."""
    name = package_name(i)
    now = datetime.now(UTC).isoformat()
    hub = box.settings.koji.web_url
    return {
        "build_id": FIRST_BUILD_ID + i,
        "old": 0,
        "new": 1,
        "attribute": "state",
        "instance": "primary",
        "name": name,
        "version": "1.0",
        "release": release(i),
        "epoch": None,
        "owner": "conveyor",
        "task_id": FIRST_TASK_ID + i,
        "request": [f"git+{box.distgit.url_for('rpms', name)}#{i:040x}", TARGET, {}],
        "creation_time": now,
        "completion_time": now,
        "url": f"{hub}/buildinfo?buildID={FIRST_BUILD_ID + i}",
    }


def run_trivial(box: Sandbox, queues: Queues, queue: str, count: int) -> Run:
    counter = box.workdir / "trivial-counter.json"
    conf = write_fm_conf(
        box.workdir / "trivial.toml",
        box.broker.url,
        queue=queue,
        bindings=[TOPIC],
        consumer_config={"counter_file": str(counter), "expected": count, "every": 100},
        callback="bench.trivial:CountingConsumer",
    )
    started = time.time()
    start_consumer(box.processes, "trivial", conf, box.settings_path)

    def done() -> bool:
        if queues.depth(queue) != 0 or not counter.exists():
            return False
        return json.loads(counter.read_text())["count"] >= count

    wait_until(done, timeout=600, what="the trivial consumer", alive=lambda: _alive(box, "trivial"))
    finished = time.time()
    box.processes.stop("trivial")
    state = json.loads(counter.read_text())
    return Run("trivial callback (counts)", count, state["first"], state["last"], started, finished)


def _alive(box: Sandbox, name: str) -> bool:
    return box.processes.alive(name)


def _epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=UTC).timestamp()


def run_real(box: Sandbox, queues: Queues, count: int, database: str) -> Run:
    queue = box.queue("koji")

    def completed() -> int:
        with box.session_factory() as session:
            query = select(func.count()).select_from(Build).where(Build.state == "complete")
            return int(session.scalar(query) or 0)

    started = time.time()
    name = box.start_consumer("koji")
    wait_until(
        lambda: queues.depth(queue) == 0 and completed() >= count,
        timeout=900,
        what="the koji consumer",
        interval=0.25,
        alive=lambda: _alive(box, name),
    )
    finished = time.time()
    with box.session_factory() as session:
        first, last = session.execute(
            select(func.min(Build.completed_at), func.max(Build.completed_at))
        ).one()
        traces = session.scalar(
            select(func.count())
            .select_from(BuildTransition)
            .where(BuildTransition.to_state == "complete")
        )
        outbox = session.scalar(select(func.count()).select_from(OutboxMessage))
        deadline = time.monotonic() + 10  # the last outbox row is published after its commit
        while True:
            sent = session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.sent_at.is_not(None))
            )
            if sent >= outbox or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        rejected = session.scalar(select(func.count()).select_from(RejectedMessage))
    box.processes.stop(name)
    print(
        f"  [{database}] real consumer did: {count} builds complete, {traces} trace rows, "
        f"{outbox} outbox rows ({sent} published after commit), {rejected} rejected"
    )
    return Run(f"koji consumer ({database})", count, _epoch(first), _epoch(last), started, finished)


def bench_database(
    broker: RabbitMQ, workdir: Path, database: str, url: str | None, count: int
) -> tuple[Run, Run]:
    options = SandboxOptions(database_url=url, replicas={}, cron=False)
    box = Sandbox(workdir / f"box-{database}", options, broker=broker).start()
    queues = Queues(broker.url)
    trivial_queue = f"bench_trivial_{box.token}"
    try:
        seed_builds(box, count)
        queues.declare(trivial_queue, [TOPIC])
        began = time.monotonic()
        with Bus(broker.url) as bus:
            for i in range(count):
                bus.publish(TOPIC, complete_message(box, i))
        loaded = {q: queues.depth(q) for q in (trivial_queue, box.queue("koji"))}
        print(
            f"\n[{database}] pre-loaded {count} messages into both queues in "
            f"{time.monotonic() - began:.1f}s: {loaded}"
        )
        if set(loaded.values()) != {count}:
            raise RuntimeError(f"expected {count} messages in each queue, found {loaded}")
        trivial = run_trivial(box, queues, trivial_queue, count)
        print(trivial.line())
        real = run_real(box, queues, count, database)
        print(real.line())
        return trivial, real
    finally:
        try:
            queues.delete(trivial_queue)
        finally:
            queues.close()
            box.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages per run (1000)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args(argv)
    if args.messages < 2:
        parser.error("--messages must be at least 2")
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]

    print("bench.consumer_throughput: koji buildsys.build.state.change COMPLETE messages")
    print(f"load average before: {load_average()}")
    print_schema_packages()
    print(
        "messages carry the header fedora_messaging_schema=base.message "
        "(as the sandbox hub sends them)"
    )
    workdir = scratch_dir("conveyor-bench-throughput-")
    broker = RabbitMQ(workdir / "rabbitmq")
    postgres = PostgreSQL(workdir / "postgres") if "postgresql" in databases else None
    results = []
    try:
        broker.start()
        print(f"RabbitMQ ready in {broker.start_seconds:.1f}s")
        for database in databases:
            url = None
            if database == "postgresql":
                assert postgres is not None
                postgres.start()
                url = postgres.create_database("bench_throughput")
                print(f"PostgreSQL ready in {postgres.start_seconds:.1f}s")
            trivial, real = bench_database(broker, workdir, database, url, args.messages)
            results.append((database, trivial, real))
    finally:
        if postgres is not None:
            postgres.stop()
        broker.stop()
        remove_dir(workdir, args.keep)

    print(f"\nresults ({args.messages} messages per run; load average after: {load_average()})")
    print(f"  {'database':<11} {'trivial msg/s':>13} {'real msg/s':>11} {'real/trivial':>13}")
    for database, trivial, real in results:
        ratio = real.rate / trivial.rate
        print(
            f"  {database:<11} {trivial.rate:13.1f} {real.rate:11.1f} {ratio:13.2f}   "
            f"{verdict(ratio, TARGET_RATIO, higher_is_better=True)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
