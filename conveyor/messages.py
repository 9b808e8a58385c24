"""Conveyor's outgoing message schemas, registered under ``fedora.messages``."""

from __future__ import annotations

from fedora_messaging import message

SCHEMA_URL = "https://conveyor.example.org/message-schema"

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


class BuildStateChangeV1(message.Message):
    """A build Conveyor requested from koji changed state."""

    topic = "conveyor.build.state.change.v1"
    body_schema = {
        "id": f"{SCHEMA_URL}/v1/conveyor.build.state.change.v1.json",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": "A Conveyor build changed state",
        "type": "object",
        "required": ["build", "old", "new"],
        "properties": {
            "build": _BUILD_SCHEMA,
            "old": {"type": ["string", "null"]},
            "new": {"type": "string"},
            "owner": {"type": ["string", "null"]},
        },
    }

    @property
    def app_name(self) -> str:
        return "conveyor"

    @property
    def _build(self) -> dict:
        return self.body.get("build", {})

    @property
    def summary(self) -> str:
        build = self._build
        what = build.get("nvr") or f"{build.get('namespace')}/{build.get('name')}"
        return (
            f"build of {what} for {build.get('target')} "
            f"moved from {self.body.get('old')} to {self.body.get('new')}"
        )

    def __str__(self) -> str:
        build = self._build
        lines = [self.summary, f"commit: {build.get('commit')}", f"source: {build.get('source')}"]
        if build.get("state_reason"):
            lines.append(f"reason: {build['state_reason']}")
        return "\n".join(lines)

    @property
    def usernames(self) -> list[str]:
        owner = self.body.get("owner")
        return [owner] if owner else []

    @property
    def packages(self) -> list[str]:
        build = self._build
        return [build["name"]] if build.get("namespace") == "rpms" and build.get("name") else []

    @property
    def url(self) -> str | None:
        build = self._build
        if not build.get("namespace") or not build.get("name"):
            return None
        return f"packages/{build['namespace']}/{build['name']}.html"


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


class ModuleStateChangeV1(message.Message):
    """A module build changed state (init, wait, build, done, ready, failed)."""

    topic = "conveyor.module.state.change.v1"
    body_schema = {
        "id": f"{SCHEMA_URL}/v1/conveyor.module.state.change.v1.json",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": "A Conveyor module build changed state",
        "type": "object",
        "required": ["module_build", "old", "new"],
        "properties": {
            "module_build": _MODULE_SCHEMA,
            "old": {"type": ["string", "null"]},
            "new": {"type": "string"},
        },
    }

    @property
    def app_name(self) -> str:
        return "conveyor"

    @property
    def _module(self) -> dict:
        return self.body.get("module_build", {})

    @property
    def summary(self) -> str:
        m = self._module
        nsvc = f"{m.get('name')}:{m.get('stream')}:{m.get('version')}:{m.get('context')}"
        return f"module build {nsvc} moved from {self.body.get('old')} to {self.body.get('new')}"

    def __str__(self) -> str:
        m = self._module
        lines = [self.summary, f"scmurl: {m.get('scmurl')}", f"owner: {m.get('owner')}"]
        if m.get("state_reason"):
            lines.append(f"reason: {m['state_reason']}")
        return "\n".join(lines)

    @property
    def usernames(self) -> list[str]:
        owner = self._module.get("owner")
        return [owner] if owner else []

    @property
    def packages(self) -> list[str]:
        return sorted(self._module.get("components") or [])

    @property
    def url(self) -> str | None:
        module_id = self._module.get("id")
        return f"modules/{module_id}.html" if isinstance(module_id, int) else None


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


class ChainStateChangeV1(message.Message):
    """A rebuild chain changed state (planned, running, complete, failed, canceled)."""

    topic = "conveyor.chain.state.change.v1"
    body_schema = {
        "id": f"{SCHEMA_URL}/v1/conveyor.chain.state.change.v1.json",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": "A Conveyor rebuild chain changed state",
        "type": "object",
        "required": ["chain", "old", "new"],
        "properties": {
            "chain": _CHAIN_SCHEMA,
            "usernames": {"type": "array", "items": {"type": "string"}},
            "old": {"type": ["string", "null"]},
            "new": {"type": "string"},
        },
    }

    @property
    def app_name(self) -> str:
        return "conveyor"

    @property
    def _chain(self) -> dict:
        return self.body.get("chain", {})

    @property
    def summary(self) -> str:
        c = self._chain
        return (
            f"rebuild chain #{c.get('id')} for {c.get('trigger')} "
            f"moved from {self.body.get('old')} to {self.body.get('new')}"
        )

    def __str__(self) -> str:
        c = self._chain
        lines = [self.summary, f"requested by: {c.get('requester')}"]
        for number, tier in enumerate(c.get("tiers") or [], start=1):
            lines.append(f"tier {number}: {' '.join(tier)}")
        if c.get("reason"):
            lines.append(f"reason: {c['reason']}")
        return "\n".join(lines)

    @property
    def usernames(self) -> list[str]:
        """The owners of the chain's module streams and the pusher (FMN routes on these)."""
        return sorted(self.body.get("usernames") or [])

    @property
    def packages(self) -> list[str]:
        return sorted(self._chain.get("packages") or [])

    @property
    def url(self) -> str | None:
        chain_id = self._chain.get("id")
        return f"chains/{chain_id}.html" if isinstance(chain_id, int) else None


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


class ComposeStateChangeV1(message.Message):
    """A compose changed state (ODCS's names: wait, generating, done, removed, failed)."""

    topic = "conveyor.compose.state.change.v1"
    body_schema = {
        "id": f"{SCHEMA_URL}/v1/conveyor.compose.state.change.v1.json",
        "$schema": "http://json-schema.org/draft-04/schema#",
        "description": "A Conveyor compose changed state (body like odcs.compose.state-changed)",
        "type": "object",
        "required": ["compose", "event", "old", "new"],
        "properties": {
            "compose": _COMPOSE_SCHEMA,
            "event": {"type": "string"},
            "old": {"type": ["string", "null"]},
            "new": {"type": "string"},
        },
    }

    @property
    def app_name(self) -> str:
        return "conveyor"

    @property
    def _compose(self) -> dict:
        return self.body.get("compose", {})

    @property
    def summary(self) -> str:
        c = self._compose
        return (
            f"compose #{c.get('id')} ({c.get('source_type_name')} {c.get('source')}) "
            f"moved from {self.body.get('old')} to {self.body.get('new')}"
        )

    def __str__(self) -> str:
        c = self._compose
        lines = [self.summary, f"owner: {c.get('owner')}"]
        if c.get("state_reason"):
            lines.append(f"reason: {c['state_reason']}")
        if c.get("result_repofile"):
            lines.append(f"repo file: {c['result_repofile']}")
        return "\n".join(lines)

    @property
    def usernames(self) -> list[str]:
        owner = self._compose.get("owner")
        return [owner] if owner else []

    @property
    def packages(self) -> list[str]:
        return []

    @property
    def url(self) -> str | None:
        compose_id = self._compose.get("id")
        return f"composes/{compose_id}.html" if isinstance(compose_id, int) else None


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
