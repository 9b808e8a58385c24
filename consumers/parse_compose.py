"""Composes announced on the bus, parsed to ``ComposeStatus`` events.

Two topics carry a compose's status:

- ``pungi.compose.status.change`` (Pungi, every era): ``compose_id``,
  ``status`` and ``location``; newer bodies add the release fields.
- ``odcs.compose.state-changed`` (ODCS): ``{"event": "state-changed",
  "compose": {...}}`` with ODCS's compose JSON (``state`` 0-4, ``state_name``).

The other topics of the compose family (the old release scripts'
``compose.<release>.<step>.start|complete``, Pungi's phase, image and
ostree notices) say nothing about a whole compose's state:
``parse_compose_message`` rejects them with that reason, and no consumer
binds to them.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from consumers.events import ComposeDetails, ComposeStatus
from consumers.fields import USER_RE, integer, mapping, optional_integer, optional_text, text
from conveyor.errors import Invalid

# Pungi's status words -> Conveyor's compose state. FINISHED_INCOMPLETE is done:
# the compose exists and is usable, some optional variants failed.
PUNGI_STATES = {
    "STARTED": "generating",
    "FINISHED": "done",
    "FINISHED_INCOMPLETE": "done",
    "DOOMED": "failed",
    "TERMINATED": "failed",
}
PUNGI_REASONS = {
    "STARTED": "Pungi started the compose",
    "FINISHED": "Pungi finished the compose",
    "FINISHED_INCOMPLETE": "Pungi finished the compose; some optional parts failed",
    "DOOMED": "Pungi failed the compose",
    "TERMINATED": "the compose was terminated",
}
# ODCS's state codes, as in its API and messages.
ODCS_STATES = {0: "wait", 1: "generating", 2: "done", 3: "removed", 4: "failed"}
MAX_SOURCE_TYPE = 7
# Pungi compose ids: Fedora-Rawhide-20180426.n.0, Fedora-Atomic-25-20170206.0
COMPOSE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,254}")
URL_RE = re.compile(r"https?://[^\s\"'<>\\]{1,2000}")
WORD_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+@/#=-]{0,254}")
STATUS_TOPICS = ("pungi.compose.status.change", "odcs.compose.state-changed")


def parse_pungi_status(topic: str, body: Any) -> ComposeStatus:
    body = _object(body)
    compose_id = text(body, "compose_id", COMPOSE_ID_RE)
    status = text(body, "status")
    if status not in PUNGI_STATES:
        raise Invalid(
            f"body.status: {status[:40]!r} is not a Pungi status "
            f"({', '.join(sorted(PUNGI_STATES))})"
        )
    return ComposeStatus(
        origin="pungi",
        external_id=compose_id,
        state=PUNGI_STATES[status],
        status=status,
        reason=PUNGI_REASONS[status],
        location=_url(body, "location", "body"),
    )


def parse_odcs_state_changed(topic: str, body: Any) -> ComposeStatus:
    compose = mapping(body, "compose")
    where = "body.compose"
    code = integer(compose, "state", where)
    if code not in ODCS_STATES:
        raise Invalid(f"{where}.state: {code} is not an ODCS compose state (0-4)")
    state = ODCS_STATES[code]
    name = optional_text(compose, "state_name", where=where)
    if name is not None and name != state:
        raise Invalid(f"{where}.state_name: {name[:40]!r} contradicts state {code} ({state})")
    compose_id = integer(compose, "id", where)
    if compose_id < 1:
        raise Invalid(f"{where}.id: expected a positive compose id, got {compose_id}")
    return ComposeStatus(
        origin="odcs",
        external_id=str(compose_id),
        state=state,
        status=state,
        reason=_reason(compose, where),
        location=_url(compose, "toplevel_url", where),
        details=_details(compose, where),
    )


def parse_compose_message(topic: str, body: Any) -> ComposeStatus:
    """Any topic of the compose family: a status, or ``Invalid`` saying why it is none."""
    bare = re.sub(r"^org\.fedoraproject\.[a-z]+\.", "", topic)
    if bare == STATUS_TOPICS[0]:
        return parse_pungi_status(topic, body)
    if bare == STATUS_TOPICS[1]:
        return parse_odcs_state_changed(topic, body)
    if bare.startswith("pungi.compose."):
        raise Invalid(f"{bare}: a notice about one part of a Pungi compose, not its status")
    if bare.startswith("compose."):
        raise Invalid(
            f"{bare}: a step of the retired release scripts (fedmsg era), not a compose status"
        )
    raise Invalid(f"{bare}: not a compose topic")


def _object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise Invalid(f"body: expected an object, got {type(body).__name__}")
    return body


def _url(body: dict, key: str, where: str) -> str | None:
    value = optional_text(body, key, where=where)
    if value is not None and not URL_RE.fullmatch(value):
        raise Invalid(f"{where}.{key}: {value[:80]!r} is not an http(s) URL")
    return value


def _reason(compose: dict, where: str) -> str:
    reason = compose.get("state_reason")
    if reason is None:
        return ""
    if not isinstance(reason, str):
        raise Invalid(f"{where}.state_reason: expected a string")
    return reason[:1024]


def _words(compose: dict, key: str, where: str) -> tuple[str, ...]:
    """ODCS sends lists as space-separated strings (``"x86_64 ppc64le"``), or null."""
    value = compose.get(key)
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        words = value
    elif isinstance(value, str):
        words = value.split()
    else:
        raise Invalid(f"{where}.{key}: expected a space-separated string or a list of strings")
    for word in words:
        if not WORD_RE.fullmatch(word):
            raise Invalid(f"{where}.{key}: {word[:80]!r} is not a valid item")
    return tuple(words)


def _time(compose: dict, key: str, where: str) -> datetime | None:
    raw = optional_text(compose, key, where=where)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise Invalid(f"{where}.{key}: {raw[:40]!r} is not an ISO 8601 time") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment  # naive UTC, as the database stores times


def _details(compose: dict, where: str) -> ComposeDetails:
    source_type = integer(compose, "source_type", where)
    if not 1 <= source_type <= MAX_SOURCE_TYPE:
        raise Invalid(f"{where}.source_type: {source_type} is not an ODCS source type (1-7)")
    return ComposeDetails(
        owner=optional_text(compose, "owner", USER_RE, where),
        source_type=source_type,
        source=" ".join(_words(compose, "source", where)),
        packages=_words(compose, "packages", where),
        builds=_words(compose, "builds", where),
        arches=_words(compose, "arches", where),
        sigkeys=_words(compose, "sigkeys", where),
        koji_event=optional_integer(compose, "koji_event", where),
        label=optional_text(compose, "label", WORD_RE, where),
        compose_type=optional_text(compose, "compose_type", WORD_RE, where),
        result_repo=_url(compose, "result_repo", where),
        result_repofile=_url(compose, "result_repofile", where),
        time_to_expire=_time(compose, "time_to_expire", where),
        removed_by=optional_text(compose, "removed_by", USER_RE, where),
    )
