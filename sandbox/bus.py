"""Publish raw bus messages with pika, shaped as fedora-messaging sends them.

Tests and benchmarks use it to inject exactly the bytes they want (duplicate
ids, malformed bodies) without fedora-messaging's global configuration.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pika


def properties(message_id: str | None = None, headers: dict | None = None) -> pika.BasicProperties:
    base = {
        "fedora_messaging_schema": "base.message",
        "fedora_messaging_severity": 20,
        "sent-at": datetime.now(UTC).isoformat(),
    }
    base.update(headers or {})
    return pika.BasicProperties(
        content_type="application/json",
        content_encoding="utf-8",
        delivery_mode=2,
        headers=base,
        message_id=message_id or str(uuid.uuid4()),
    )


class Bus:
    """One blocking connection to publish many messages to ``amq.topic``."""

    def __init__(self, amqp_url: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
        self.channel = self.connection.channel()
        self.channel.confirm_delivery()

    def publish(
        self, topic: str, body: Any, message_id: str | None = None, raw: bytes | None = None
    ) -> str:
        props = properties(message_id)
        payload = raw if raw is not None else json.dumps(body).encode("utf-8")
        self.channel.basic_publish("amq.topic", topic, payload, props)
        return props.message_id

    def publish_many(self, messages: Iterable[tuple[str, Any]]) -> list[str]:
        return [self.publish(topic, body) for topic, body in messages]

    def close(self) -> None:
        if self.connection.is_open:
            self.connection.close()

    def __enter__(self) -> Bus:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
