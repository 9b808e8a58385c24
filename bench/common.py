"""What the benchmarks share: scratch space, queue helpers, consumer processes, statistics."""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from importlib.metadata import entry_points
from pathlib import Path

import pika

from sandbox.processes import Supervisor

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FEDORA_MESSAGING = str(Path(sys.executable).parent / "fedora-messaging")


def schema_packages() -> list[str]:
    """``<schema name> = <class> (<distribution> <version>)`` for every installed schema."""
    found = []
    for ep in entry_points(group="fedora.messages"):
        dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else "?"
        found.append(f"{ep.name} = {ep.value} ({dist})")
    return sorted(found)


def print_schema_packages() -> None:
    names = schema_packages()
    print(f"fedora.messages schema entry points installed ({len(names)}):")
    for line in names:
        print(f"  {line}")


def scratch_dir(prefix: str) -> Path:
    """A fresh directory that the ``postgres`` user can traverse (mkdtemp makes it 0700)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def remove_dir(path: Path, keep: bool) -> None:
    if keep:
        print(f"kept {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)


class Queues:
    """Plain pika on one connection: declare, bind, count, delete."""

    def __init__(self, amqp_url: str) -> None:
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.channel = self.connection.channel()

    def declare(self, queue: str, routing_keys: Iterable[str]) -> None:
        """Durable, as fedora-messaging declares it from the TOML; bound BEFORE publishing."""
        self.channel.queue_declare(queue, durable=True, arguments={})
        for key in routing_keys:
            self.channel.queue_bind(queue, "amq.topic", routing_key=key)

    def depth(self, queue: str) -> int:
        """Ready (undelivered) messages, from a passive declare."""
        return int(self.channel.queue_declare(queue, passive=True).method.message_count)

    def delete(self, queue: str) -> None:
        self.channel.queue_delete(queue)

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()


def consumer_env(settings_path: Path, fm_conf: Path) -> dict[str, str]:
    """The environment the sandbox gives its consumers (project on the path, own config)."""
    env = dict(os.environ)
    env.pop("CONVEYOR_DATABASE_URL", None)
    env["CONVEYOR_SETTINGS"] = str(settings_path)
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    env["FEDORA_MESSAGING_CONF"] = str(fm_conf)
    return env


def start_consumer(processes: Supervisor, name: str, fm_conf: Path, settings_path: Path) -> None:
    """``fedora-messaging --conf <fm_conf> consume``, as the systemd unit runs it."""
    argv = [FEDORA_MESSAGING, "--conf", str(fm_conf), "consume"]
    processes.start(name, argv, env=consumer_env(settings_path, fm_conf))


def wait_until(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    interval: float = 0.1,
    alive: Callable[[], bool] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if alive is not None and not alive():
            raise RuntimeError(f"a process died while waiting for {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def percentile(values: Sequence[float], pct: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
    }


def verdict(ratio: float, target: float, higher_is_better: bool) -> str:
    met = ratio >= target if higher_is_better else ratio <= target
    sign = ">=" if higher_is_better else "<="
    return f"target {sign} {target:g}: {'met' if met else 'NOT met'}"


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cpus"
