"""Koji-shaped bus messages (fedora-messaging era bodies) and their publisher."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from typing import Any

from .model import OWNER_NAME, Build, Tag, Task
from .views import iso_time, task_info, task_state_name

log = logging.getLogger(__name__)

PublishFn = Callable[[str, dict[str, Any]], None]

TASK_TOPIC = "buildsys.task.state.change"
BUILD_TOPIC = "buildsys.build.state.change"
TAG_TOPIC = "buildsys.tag"
UNTAG_TOPIC = "buildsys.untag"
REPO_DONE_TOPIC = "buildsys.repo.done"


def task_message(task: Task, old: int | None) -> dict[str, Any]:
    return {
        "id": task.id,
        "parent": task.parent,
        "method": task.method,
        "attribute": "state",
        "old": task_state_name(old),
        "new": task_state_name(task.state),
        "owner": OWNER_NAME,
        "instance": "primary",
        "info": task_info(task, request=True),
    }


def build_message(
    build: Build, old: int | None, request: list[Any], web_url: str
) -> dict[str, Any]:
    return {
        "build_id": build.id,
        "old": old,
        "new": int(build.state),
        "attribute": "state",
        "instance": "primary",
        "name": build.name,
        "version": build.version,
        "release": build.release,
        "epoch": build.epoch,
        "owner": OWNER_NAME,
        "task_id": build.task_id,
        "request": list(request),
        "creation_time": iso_time(build.creation_ts),
        "completion_time": iso_time(build.completion_ts),
        "url": f"{web_url}/buildinfo?buildID={build.id}",
    }


def tag_message(build: Build, tag: Tag) -> dict[str, Any]:
    return {
        "build_id": build.id,
        "name": build.name,
        "version": build.version,
        "release": build.release,
        "tag": tag.name,
        "tag_id": tag.id,
        "user": OWNER_NAME,
        "owner": OWNER_NAME,
        "instance": "primary",
    }


def repo_done_message(tag: Tag, repo_id: int, base_url: str) -> dict[str, Any]:
    return {
        "tag": tag.name,
        "tag_id": tag.id,
        "repo_id": repo_id,
        "instance": "primary",
        "base_url": base_url,
    }


def fedora_messaging_publish(topic: str, body: dict[str, Any]) -> None:
    """Publish through fedora-messaging (its config applies the topic prefix)."""
    from fedora_messaging import api, message

    api.publish(message.Message(topic=topic, body=body))


class Publisher:
    """Sends messages, drops a configured fraction, never raises."""

    def __init__(
        self, send: PublishFn | None, drop_fraction: float = 0.0, rng: random.Random | None = None
    ) -> None:
        self._send = send or fedora_messaging_publish
        self.drop_fraction = drop_fraction
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self.published = 0
        self.dropped = 0
        self.failed = 0

    def __call__(self, topic: str, body: dict[str, Any]) -> None:
        with self._lock:
            if self.drop_fraction > 0 and self._rng.random() < self.drop_fraction:
                self.dropped += 1
                log.info("dropping %s message (drop fraction %s)", topic, self.drop_fraction)
                return
        try:
            self._send(topic, body)
        except Exception:
            with self._lock:
                self.failed += 1
            log.exception("failed to publish %s message", topic)
            return
        with self._lock:
            self.published += 1
