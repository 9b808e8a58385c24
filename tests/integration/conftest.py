"""Fixtures for integration tests: a real RabbitMQ and PostgreSQL on loopback."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pika
import pytest

from sandbox.broker import RabbitMQ
from sandbox.fmconf import write_fm_conf
from sandbox.postgres import PostgreSQL

TOPIC_PREFIX = "org.fedoraproject.sandbox"


@pytest.fixture(scope="session")
def sandbox_dir() -> Iterator[Path]:
    """A session directory the ``postgres`` user can traverse (pytest's are 0700)."""
    path = Path(tempfile.mkdtemp(prefix="conveyor-it-"))
    path.chmod(0o755)
    yield path
    if os.environ.get("CONVEYOR_KEEP_SANDBOX") != "1":
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def rabbitmq(sandbox_dir: Path) -> Iterator[RabbitMQ]:
    broker = RabbitMQ(sandbox_dir / "rabbitmq").start()
    print(f"\nRabbitMQ {broker.nodename} ready in {broker.start_seconds:.1f}s at {broker.url}")
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def postgres(sandbox_dir: Path) -> Iterator[PostgreSQL]:
    cluster = PostgreSQL(sandbox_dir / "postgres").start()
    print(f"\nPostgreSQL ready in {cluster.start_seconds:.1f}s on port {cluster.port}")
    yield cluster
    cluster.stop()


FmConfFactory = Callable[..., Path]


@pytest.fixture(scope="session")
def fm_conf_factory(rabbitmq: RabbitMQ, sandbox_dir: Path) -> FmConfFactory:
    """``make(name, **write_fm_conf kwargs) -> Path`` of a config for the fixture broker."""
    confdir = sandbox_dir / "fm-conf"

    def make(name: str = "publisher", **kwargs: Any) -> Path:
        kwargs.setdefault("topic_prefix", TOPIC_PREFIX)
        return write_fm_conf(confdir / f"{name}.toml", rabbitmq.url, **kwargs)

    return make


@pytest.fixture(scope="session")
def fm_publisher(fm_conf_factory: FmConfFactory, rabbitmq: RabbitMQ) -> Path:
    """Point this process's fedora-messaging (``api.publish``) at the fixture broker.

    fedora-messaging keeps one publisher connection per process, made from the
    config in force at the first publish, so this is done once per session.
    """
    from fedora_messaging import config

    path = fm_conf_factory("in-process-publisher")
    os.environ["FEDORA_MESSAGING_CONF"] = str(path)
    config.conf.load_config(str(path))
    return path


@dataclass
class Received:
    routing_key: str
    body: Any
    headers: dict[str, Any]
    message_id: str | None


class Amqp:
    """Plain pika helpers to watch the fixture broker from the outside."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _channel(self) -> tuple[pika.BlockingConnection, Any]:
        conn = pika.BlockingConnection(pika.URLParameters(self.url))
        return conn, conn.channel()

    def declare(self, queue: str, routing_keys: Sequence[str], exchange: str = "amq.topic") -> None:
        """A durable queue bound to ``routing_keys``: bind it BEFORE publishing."""
        conn, ch = self._channel()
        try:
            ch.queue_declare(queue, durable=True, auto_delete=False, exclusive=False)
            for key in routing_keys:
                ch.queue_bind(queue, exchange, routing_key=key)
        finally:
            conn.close()

    def count(self, queue: str) -> int:
        conn, ch = self._channel()
        try:
            return int(ch.queue_declare(queue, passive=True).method.message_count)
        finally:
            conn.close()

    def get(self, queue: str, n: int = 1, timeout: float = 15) -> list[Received]:
        """basic_get until ``n`` messages arrived (fewer on timeout); acks them."""
        got: list[Received] = []
        conn, ch = self._channel()
        try:
            deadline = time.monotonic() + timeout
            while len(got) < n and time.monotonic() < deadline:
                method, props, body = ch.basic_get(queue, auto_ack=True)
                if method is None:
                    time.sleep(0.05)
                    continue
                got.append(
                    Received(
                        method.routing_key, json.loads(body), props.headers or {}, props.message_id
                    )
                )
        finally:
            conn.close()
        return got

    def delete(self, queue: str) -> None:
        conn, ch = self._channel()
        try:
            ch.queue_delete(queue)
        finally:
            conn.close()


@pytest.fixture(scope="session")
def amqp(rabbitmq: RabbitMQ) -> Amqp:
    return Amqp(rabbitmq.url)
