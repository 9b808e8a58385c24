"""Trivial fedora-messaging callbacks: the baselines the benchmarks compare against.

They run under ``fedora-messaging consume`` exactly like Conveyor's consumers
(same TOML shape, same prefetch, same logging), so the difference between a
baseline and a real consumer is the work the real one does.

``consumer_config`` keys:

- ``CountingConsumer``: ``counter_file`` (JSON written atomically), ``expected``
  (write at this count), ``every`` (also write every so many messages).
- ``PingConsumer``: ``hub_url`` (a koji hub), ``record_file`` (one line per
  message: ``<message id> <unix time after the hub answered>``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import koji
from fedora_messaging import config as fm_config
from fedora_messaging.message import Message


def _consumer_config() -> dict:
    return dict(fm_config.conf.get("consumer_config") or {})


class CountingConsumer:
    """Counts messages; records the time of the first and the latest one."""

    def __init__(self) -> None:
        conf = _consumer_config()
        self.path = Path(conf["counter_file"])
        self.expected = int(conf.get("expected", 0))
        self.every = int(conf.get("every", 100))
        self.count = 0
        self.first: float | None = None

    def __call__(self, message: Message) -> None:
        now = time.time()
        self.count += 1
        if self.first is None:
            self.first = now
        if self.count == 1 or self.count % self.every == 0 or self.count == self.expected:
            self._write(now)

    def _write(self, now: float) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"count": self.count, "first": self.first, "last": now}))
        os.replace(tmp, self.path)


class PingConsumer:
    """On each message makes one XML-RPC call to the koji hub, then records the time."""

    def __init__(self) -> None:
        conf = _consumer_config()
        self.session = koji.ClientSession(conf["hub_url"], opts={"timeout": 10})
        self.path = Path(conf["record_file"])

    def __call__(self, message: Message) -> None:
        self.session.getAPIVersion()
        now = time.time()
        with self.path.open("a") as fh:
            fh.write(f"{message.id} {now:.6f}\n")
