"""Send one outbox row to the broker with fedora-messaging."""

from __future__ import annotations

from fedora_messaging import api

from conveyor.messages import build_message


def send(topic: str, body: dict, message_id: str) -> None:
    # api.publish validates against the schema itself; validating here too doubled the cost.
    api.publish(build_message(topic, body, message_id))
