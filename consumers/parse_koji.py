"""koji hub messages (``buildsys.*``), parsed to typed events.

Task messages carry ``old``/``new`` as state names; build messages carry
them as integers (koji.BUILD_STATES). Old fedmsg bodies lack ``instance``.
"""

from __future__ import annotations

import re
from typing import Any

from consumers.events import KojiBuildStateChange, KojiRepoDone, KojiTagged, KojiTaskStateChange
from consumers.fields import NAME_RE, integer, optional_integer, optional_text, text
from conveyor.errors import Invalid

TASK_STATES = frozenset({"FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"})
BUILD_STATES = frozenset({0, 1, 2, 3, 4})


def _object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise Invalid(f"body: expected an object, got {type(body).__name__}")
    return body


def parse_task_state_change(topic: str, body: Any) -> KojiTaskStateChange:
    body = _object(body)
    new = text(body, "new")
    old = optional_text(body, "old")
    for key, value in (("new", new), ("old", old)):
        if value is not None and value not in TASK_STATES:
            raise Invalid(f"body.{key}: {value!r} is not a koji task state")
    return KojiTaskStateChange(
        task_id=integer(body, "id"),
        new=new,
        old=old,
        method=optional_text(body, "method"),
        instance=optional_text(body, "instance"),
    )


def parse_build_state_change(topic: str, body: Any) -> KojiBuildStateChange:
    body = _object(body)
    new = integer(body, "new")
    old = optional_integer(body, "old")
    for key, value in (("new", new), ("old", old)):
        if value is not None and value not in BUILD_STATES:
            raise Invalid(f"body.{key}: {value!r} is not a koji build state")
    return KojiBuildStateChange(
        build_id=integer(body, "build_id"),
        name=text(body, "name", NAME_RE),
        version=text(body, "version"),
        release=text(body, "release"),
        new=new,
        old=old,
        task_id=optional_integer(body, "task_id"),
        epoch=optional_integer(body, "epoch"),
        owner=optional_text(body, "owner"),
        instance=optional_text(body, "instance"),
    )


# koji tag names: what koji's name check allows (letters, digits and ``_.+-``).
TAG_RE = re.compile(r"[A-Za-z0-9_.+-]{1,255}")


def parse_tag(topic: str, body: Any) -> KojiTagged:
    body = _object(body)
    return KojiTagged(
        tag=text(body, "tag", TAG_RE),
        name=text(body, "name", NAME_RE),
        version=text(body, "version"),
        release=text(body, "release"),
        build_id=optional_integer(body, "build_id"),
        user=optional_text(body, "user"),
        instance=optional_text(body, "instance"),
    )


def parse_repo_done(topic: str, body: Any) -> KojiRepoDone:
    body = _object(body)
    return KojiRepoDone(
        tag=text(body, "tag", TAG_RE),
        repo_id=integer(body, "repo_id"),
        instance=optional_text(body, "instance"),
    )
