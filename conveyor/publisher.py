"""Send one outbox row to the broker with fedora-messaging."""

from __future__ import annotations

from fedora_messaging import api

from conveyor.messages import build_message


def send(topic: str, body: dict, message_id: str) -> None:
    msg = build_message(topic, body, message_id)
    msg.validate()
    api.publish(msg)
