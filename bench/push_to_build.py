"""Latency from a dist-git push message to the koji hub receiving ``build``.

    .venv/bin/python -m bench.push_to_build [--samples 30] [--warmup 3] [--packages 3]

One broker, the sandbox koji hub, the real distgit consumer
(``fedora-messaging consume`` with ``consumers.distgit:DistGitConsumer``) and,
beside it, a trivial consumer under ``fedora-messaging consume``
(``bench.trivial:PingConsumer``: one XML-RPC ``getAPIVersion`` to the same hub
per message, then it records the time).

Each real sample needs a commit the hub can build and Conveyor has not seen:
the benchmark commits a release bump in the packager's clone and moves it
into the bare dist-git repository with ``git fetch`` run inside the bare
repository. A fetch runs no receive hooks, so nothing is published for it;
the only push message is the one the benchmark then publishes itself (the
exact body the post-receive hook would send, built by ``sandbox.githook``),
with the time taken just before ``basic_publish``. The sample ends when the
hub records the ``build`` call for that commit (``sandbox.stats()``
``build_calls[].at``). Baseline samples publish a message of the same size to
the ping consumer's queue and end at the time it recorded. Samples run one at
a time, real and baseline alternating, after a short pause so that the work
each one sets off (the hub opening the task 0.5 s later) is over before the
next starts. Every process is on this machine: the clocks agree.

Not a test: it never fails on a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.common import (
    Queues,
    load_average,
    print_schema_packages,
    remove_dir,
    scratch_dir,
    start_consumer,
    summary,
    verdict,
    wait_until,
)
from sandbox.broker import RabbitMQ
from sandbox.bus import Bus
from sandbox.fmconf import write_fm_conf
from sandbox.githook import push_body, repo_info
from sandbox.system import PREFIX, Sandbox, SandboxOptions

PUSH_TOPIC = f"{PREFIX}.pagure.git.receive"
PING_TOPIC = f"{PREFIX}.bench.ping"
BRANCH = "rawhide"
PUSHER = "packager"
TARGET_RATIO = 1.5
POLL = 0.05
SETTLE_REAL = 1.0  # the hub opens the task and reads the spec 0.5 s after ``build``
SETTLE_TRIVIAL = 0.3


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class Pushes:
    """New commits in the bare repositories, without the hook, and the hook's body for them."""

    def __init__(self, box: Sandbox) -> None:
        self.box = box

    def _git(self, *args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
        return subprocess.run(
            ["git", *args], env=env, capture_output=True, text=True, check=True, timeout=60
        ).stdout

    def bare(self, name: str) -> Path:
        return self.box.distgit.path_for("rpms", name)

    def tip(self, name: str) -> str:
        return self._git("--git-dir", str(self.bare(name)), "rev-parse", BRANCH).strip()

    def new_commit(self, name: str) -> tuple[str, str]:
        """Bump the release in the clone; fetch it into the bare repo; return (old, new)."""
        old = self.tip(name)
        new = self.box.packager.bump(name, BRANCH)
        clone = self.box.packager.clone_dir(name)
        refspec = f"+refs/heads/{BRANCH}:refs/heads/{BRANCH}"
        self._git("--git-dir", str(self.bare(name)), "fetch", "--quiet", str(clone), refspec)
        if self.tip(name) != new:
            raise RuntimeError(f"{name}: the bare repository did not take {new}")
        return old, new

    def body(self, name: str, old: str, new: str) -> dict[str, Any]:
        """What the post-receive hook would publish for ``old..new`` on the branch."""
        bare = self.bare(name)
        with environment(GIT_DIR=str(bare), CONVEYOR_PUSHER=PUSHER):
            repo = repo_info(bare, self.box.distgit.root)
            return push_body(old, new, f"refs/heads/{BRANCH}", repo)


class Hub:
    def __init__(self, url: str) -> None:
        self.proxy = xmlrpc.client.ServerProxy(url, allow_none=True)

    def build_calls(self) -> list[dict[str, Any]]:
        return list(self.proxy.sandbox.stats()["build_calls"])

    def build_call_for(self, commit: str) -> dict[str, Any] | None:
        for call in self.build_calls():
            if call["src"].endswith(f"#{commit}"):
                return call
        return None


class PingRecords:
    def __init__(self, path: Path) -> None:
        self.path = path

    def time_of(self, message_id: str) -> float | None:
        if not self.path.exists():
            return None
        for line in self.path.read_text().splitlines():
            got, _, at = line.partition(" ")
            if got == message_id:
                return float(at)
        return None


def real_sample(box: Sandbox, bus: Bus, hub: Hub, pushes: Pushes, name: str) -> float:
    old, new = pushes.new_commit(name)
    body = pushes.body(name, old, new)
    sent = time.time()
    bus.publish(PUSH_TOPIC, body)
    found: dict[str, Any] = {}

    def arrived() -> bool:
        call = hub.build_call_for(new)
        if call is not None:
            found.update(call)
        return call is not None

    wait_until(
        arrived, timeout=60, what=f"koji build of {name}#{new[:8]}", interval=POLL,
        alive=lambda: box.processes.alive("distgit-0"),
    )  # fmt: skip
    time.sleep(SETTLE_REAL)
    return float(found["at"]) - sent


def trivial_sample(box: Sandbox, bus: Bus, records: PingRecords, body: dict[str, Any]) -> float:
    message_id = str(uuid.uuid4())
    sent = time.time()
    bus.publish(PING_TOPIC, body, message_id=message_id)
    found: list[float] = []

    def arrived() -> bool:
        at = records.time_of(message_id)
        if at is not None:
            found.append(at)
        return at is not None

    wait_until(
        arrived, timeout=60, what="the ping consumer", interval=POLL,
        alive=lambda: box.processes.alive("ping"),
    )  # fmt: skip
    time.sleep(SETTLE_TRIVIAL)
    return found[0] - sent


def start_ping_consumer(box: Sandbox, queues: Queues) -> PingRecords:
    queue = f"bench_ping_{box.token}"
    queues.declare(queue, [PING_TOPIC])
    record_file = box.workdir / "ping-records.txt"
    conf = write_fm_conf(
        box.workdir / "ping.toml",
        box.broker.url,
        queue=queue,
        bindings=[PING_TOPIC],
        consumer_config={"hub_url": box.settings.koji.hub_url, "record_file": str(record_file)},
        callback="bench.trivial:PingConsumer",
    )
    start_consumer(box.processes, "ping", conf, box.settings_path)
    return PingRecords(record_file)


def print_summary(label: str, values: list[float]) -> dict[str, float]:
    s = summary(values)
    print(
        f"  {label:<38} p50 {s['p50'] * 1000:7.1f} ms  p95 {s['p95'] * 1000:7.1f} ms  "
        f"mean {s['mean'] * 1000:7.1f}  min {s['min'] * 1000:6.1f}  max {s['max'] * 1000:7.1f}"
        f"  (n={s['n']})"
    )
    return s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=30, help="measured samples of each (30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured samples first (3)")
    parser.add_argument("--packages", type=int, default=3, help="packages to push to (3)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--json", type=Path, help="also write every sample here")
    args = parser.parse_args(argv)
    if args.samples < 2 or args.packages < 1:
        parser.error("--samples must be at least 2 and --packages at least 1")

    print("bench.push_to_build: pagure.git.receive -> koji build call, one message at a time")
    print(f"load average before: {load_average()}")
    print_schema_packages()
    workdir = scratch_dir("conveyor-bench-latency-")
    broker = RabbitMQ(workdir / "rabbitmq")
    box: Sandbox | None = None
    real: list[float] = []
    trivial: list[float] = []
    try:
        broker.start()
        print(f"RabbitMQ ready in {broker.start_seconds:.1f}s")
        # Long koji delay: builds stay open, so no completions compete with the samples.
        options = SandboxOptions(
            koji_delay=3600, fail_patterns=(), replicas={"distgit": 1}, cron=False
        )
        box = Sandbox(workdir / "box", options, broker=broker).start()
        hub = Hub(box.settings.koji.hub_url)
        names = [f"latency{i}" for i in range(args.packages)]
        for name in names:  # real pushes through the hook; they also warm the consumer up
            box.packager.create_package(name, "1.0", pusher=PUSHER)
        wait_until(
            lambda: len(hub.build_calls()) >= len(names), timeout=90, what="the initial builds"
        )
        queues = Queues(broker.url)
        records = start_ping_consumer(box, queues)
        pushes = Pushes(box)
        ping_body = pushes.body(names[0], "0" * 40, pushes.tip(names[0]))
        with Bus(broker.url) as bus:
            for i in range(args.warmup + args.samples):
                name = names[i % len(names)]
                pair: dict[str, float] = {}
                order = ("real", "trivial") if i % 2 == 0 else ("trivial", "real")
                for kind in order:
                    if kind == "real":
                        pair[kind] = real_sample(box, bus, hub, pushes, name)
                    else:
                        pair[kind] = trivial_sample(box, bus, records, ping_body)
                if i >= args.warmup:
                    real.append(pair["real"])
                    trivial.append(pair["trivial"])
        queues.close()
        total_calls = len(hub.build_calls())
        expected_calls = len(names) + args.warmup + args.samples
        if total_calls != expected_calls:
            raise RuntimeError(f"hub saw {total_calls} build calls, expected {expected_calls}")
    finally:
        if box is not None:
            box.stop()
        broker.stop()
        remove_dir(workdir, args.keep)

    print(f"\nresults ({args.samples} samples each; load average after: {load_average()})")
    t = print_summary("trivial consumer (one getAPIVersion)", trivial)
    r = print_summary("distgit consumer (push -> koji build)", real)
    p50, p95 = r["p50"] / t["p50"], r["p95"] / t["p95"]
    print(f"  ratio real/trivial: p50 {p50:.2f}x  p95 {p95:.2f}x   "
          f"p50 {verdict(p50, TARGET_RATIO, higher_is_better=False)}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({"real": real, "trivial": trivial}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
