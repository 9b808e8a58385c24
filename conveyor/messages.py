"""Conveyor's outgoing message schemas, registered under ``fedora.messages``.

Every message announces one object's state change: the object's dict under one
body key (``build``, ``module_build``, ``chain``, ``compose``) plus ``old`` and
``new`` states. ``StateChange`` holds what they share (the envelope schema, the
summary, owner-based ``usernames``, the status site page as ``url``); each
class adds its object's schema and how it names the object.
"""

from __future__ import annotations

from typing import Any, ClassVar

from fedora_messaging import message

SCHEMA_URL = "https://conveyor.example.org/message-schema"


def envelope(topic: str, description: str, subject: str, schema: dict, **extra: Any) -> dict:
    """The JSON schema of a state change body: ``{subject: schema, old, new, **extra}``."""
    return {
        "id": f"{SCHEMA_URL}/v1/{topic}.json",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": description,
        "type": "object",
        "required": [subject, *extra.pop("required", ()), "old", "new"],
        "properties": {
            subject: schema,
            **extra,
            "old": {"type": ["string", "null"]},
            "new": {"type": "string"},
        },
    }


class StateChange(message.Message):
    """One Conveyor object moved from ``old`` to ``new``."""

    subject: ClassVar[str]  # the body key holding the object
    page: ClassVar[str]  # the status site's folder of its pages, by id

    @property
    def app_name(self) -> str:
        return "conveyor"

    @property
    def obj(self) -> dict:
        return self.body.get(self.subject, {})

    def what(self) -> str:
        """The object as a person names it in the summary."""
        raise NotImplementedError

    def details(self) -> list[str]:
        """The lines after the summary in ``__str__``."""
        return []

    @property
    def summary(self) -> str:
        return f"{self.what()} moved from {self.body.get('old')} to {self.body.get('new')}"

    def __str__(self) -> str:
        lines = [self.summary, *self.details()]
        reason = self.obj.get("state_reason") or self.obj.get("reason")
        if reason:
            lines.append(f"reason: {reason}")
        return "\n".join(lines)

    @property
    def usernames(self) -> list[str]:
        owner = self.obj.get("owner")
        return [owner] if owner else []

    @property
    def packages(self) -> list[str]:
        return []

    @property
    def url(self) -> str | None:
        object_id = self.obj.get("id")
        return f"{self.page}/{object_id}.html" if isinstance(object_id, int) else None


_BUILD_SCHEMA = {
    "type": "object",
    "required": ["id", "namespace", "name", "branch", "commit", "target", "state"],
    "properties": {
        "id": {"type": "integer"},
        "namespace": {"type": "string"},
        "name": {"type": "string"},
        "branch": {"type": "string"},
        "commit": {"type": "string"},
        "target": {"type": "string"},
        "source": {"type": "string"},
        "nvr": {"type": ["string", "null"]},
        "koji_task_id": {"type": ["integer", "null"]},
        "koji_build_id": {"type": ["integer", "null"]},
        "state": {"type": "string"},
        "state_reason": {"type": "string"},
    },
}


class BuildStateChangeV1(StateChange):
    """A build Conveyor requested from koji changed state."""

    topic = "conveyor.build.state.change.v1"
    subject = "build"
    body_schema = envelope(
        topic, "A Conveyor build changed state", subject, _BUILD_SCHEMA,
        owner={"type": ["string", "null"]},
    )  # fmt: skip

    def what(self) -> str:
        b = self.obj
        name = b.get("nvr") or f"{b.get('namespace')}/{b.get('name')}"
        return f"build of {name} for {b.get('target')}"

    def details(self) -> list[str]:
        return [f"commit: {self.obj.get('commit')}", f"source: {self.obj.get('source')}"]

    @property
    def usernames(self) -> list[str]:
        owner = self.body.get("owner")  # the pusher: beside the build, not in it
        return [owner] if owner else []

    @property
    def packages(self) -> list[str]:
        b = self.obj
        return [b["name"]] if b.get("namespace") == "rpms" and b.get("name") else []

    @property
    def url(self) -> str | None:
        b = self.obj  # package pages are by name, not by build id
        if not b.get("namespace") or not b.get("name"):
            return None
        return f"packages/{b['namespace']}/{b['name']}.html"


_MODULE_SCHEMA = {
    "type": "object",
    "required": ["id", "name", "stream", "version", "context", "state", "owner"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "stream": {"type": "string"},
        "version": {"type": "string"},
        "context": {"type": "string"},
        "state": {"type": "string"},
        "state_reason": {"type": "string"},
        "owner": {"type": "string"},
        "scmurl": {"type": "string"},
        "koji_tag": {"type": ["string", "null"]},
        "batch": {"type": "integer"},
        "components": {"type": "array", "items": {"type": "string"}},
    },
}


class ModuleStateChangeV1(StateChange):
    """A module build changed state (init, wait, build, done, ready, failed)."""

    topic = "conveyor.module.state.change.v1"
    subject = "module_build"
    page = "modules"
    body_schema = envelope(topic, "A Conveyor module build changed state", subject, _MODULE_SCHEMA)

    def what(self) -> str:
        m = self.obj
        nsvc = ":".join(str(m.get(key)) for key in ("name", "stream", "version", "context"))
        return f"module build {nsvc}"

    def details(self) -> list[str]:
        return [f"scmurl: {self.obj.get('scmurl')}", f"owner: {self.obj.get('owner')}"]

    @property
    def packages(self) -> list[str]:
        return sorted(self.obj.get("components") or [])


_CHAIN_SCHEMA = {
    "type": "object",
    "required": ["id", "trigger_kind", "trigger", "requester", "state", "tiers"],
    "properties": {
        "id": {"type": "integer"},
        "trigger_kind": {"type": "string"},
        "trigger": {"type": "string"},
        "commit": {"type": ["string", "null"]},
        "requester": {"type": "string"},
        "state": {"type": "string"},
        "reason": {"type": "string"},
        "current_tier": {"type": "integer"},
        "failed_tier": {"type": ["integer", "null"]},
        "superseded_by": {"type": ["integer", "null"]},
        "tiers": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}},
        "packages": {"type": "array", "items": {"type": "string"}},
    },
}


class ChainStateChangeV1(StateChange):
    """A rebuild chain changed state (planned, running, complete, failed, canceled)."""

    topic = "conveyor.chain.state.change.v1"
    subject = "chain"
    page = "chains"
    body_schema = envelope(
        topic, "A Conveyor rebuild chain changed state", subject, _CHAIN_SCHEMA,
        usernames={"type": "array", "items": {"type": "string"}},
    )  # fmt: skip

    def what(self) -> str:
        return f"rebuild chain #{self.obj.get('id')} for {self.obj.get('trigger')}"

    def details(self) -> list[str]:
        tiers = enumerate(self.obj.get("tiers") or [], start=1)
        return [f"requested by: {self.obj.get('requester')}"] + [
            f"tier {number}: {' '.join(tier)}" for number, tier in tiers
        ]

    @property
    def usernames(self) -> list[str]:
        """The owners of the chain's module streams and the pusher (FMN routes on these)."""
        return sorted(self.body.get("usernames") or [])

    @property
    def packages(self) -> list[str]:
        return sorted(self.obj.get("packages") or [])


_COMPOSE_SCHEMA = {
    "type": "object",
    "required": ["id", "owner", "source_type", "source", "state", "state_name"],
    "properties": {
        "id": {"type": "integer"},
        "owner": {"type": "string"},
        "origin": {"type": "string"},
        "source_type": {"type": "integer"},
        "source_type_name": {"type": "string"},
        "source": {"type": "string"},
        "koji_event": {"type": ["integer", "null"]},
        "state": {"type": "integer"},
        "state_name": {"type": "string"},
        "state_reason": {"type": "string"},
        "time_to_expire": {"type": ["string", "null"]},
        "result_repo": {"type": ["string", "null"]},
        "result_repofile": {"type": ["string", "null"]},
    },
}


class ComposeStateChangeV1(StateChange):
    """A compose changed state (ODCS's names: wait, generating, done, removed, failed)."""

    topic = "conveyor.compose.state.change.v1"
    subject = "compose"
    page = "composes"
    body_schema = envelope(
        topic, "A Conveyor compose changed state (body like odcs.compose.state-changed)",
        subject, _COMPOSE_SCHEMA, required=("event",), event={"type": "string"},
    )  # fmt: skip

    def what(self) -> str:
        c = self.obj
        return f"compose #{c.get('id')} ({c.get('source_type_name')} {c.get('source')})"

    def details(self) -> list[str]:
        repofile = self.obj.get("result_repofile")
        lines = [f"owner: {self.obj.get('owner')}"]
        return [*lines, f"repo file: {repofile}"] if repofile else lines


SCHEMAS: dict[str, type[message.Message]] = {
    BuildStateChangeV1.topic: BuildStateChangeV1,
    ModuleStateChangeV1.topic: ModuleStateChangeV1,
    ComposeStateChangeV1.topic: ComposeStateChangeV1,
    ChainStateChangeV1.topic: ChainStateChangeV1,
}


def build_message(topic: str, body: dict, message_id: str) -> message.Message:
    """The schema-classed message for an outbox row; the row's id becomes the message id."""
    cls = SCHEMAS.get(topic, message.Message)
    msg = cls(topic=topic, body=body)
    msg.id = message_id
    return msg
