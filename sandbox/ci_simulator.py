"""A CI system for the sandbox: answers finished builds with CI-spec result messages.

It listens on the real broker for Conveyor's ``module.state.change`` (state
``done``) and koji's ``buildsys.build.state.change`` (COMPLETE), and
publishes what Fedora CI would: ``org.centos.sandbox.ci.redhat-module.test.complete``
or ``ci.koji-build.test.complete`` (``.error`` for an infrastructure error),
shaped like the CI messages spec 1.x. Outcomes are configurable per artifact
glob (matched against the module's ``name:stream:version:context`` or the
build's NVR); ``None`` means CI never answers (to exercise timeouts).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any

import pika

from sandbox.bus import properties

log = logging.getLogger(__name__)

FEDORA = "org.fedoraproject.sandbox"
CENTOS = "org.centos.sandbox"
MODULE_TESTCASE = "sandbox-ci.redhat-module.tier0.functional"
BUILD_TESTCASE = "sandbox-ci.koji-build.tier0.functional"
LISTEN = (f"{FEDORA}.conveyor.module.state.change.v1", f"{FEDORA}.buildsys.build.state.change")


def outcome_for(
    artifact: str, outcomes: Mapping[str, str | None], default: str | None
) -> str | None:
    """The first glob that matches decides (dicts keep their order); else the default."""
    for pattern, outcome in outcomes.items():
        if fnmatchcase(artifact, pattern):
            return outcome
    return default


def module_result(
    module: Mapping[str, Any], outcome: str, prefix: str = CENTOS
) -> tuple[str, dict]:
    """(topic, body) of a CI result for a module build as Conveyor announces it."""
    nsvc = f"{module['name']}:{module['stream']}:{module['version']}:{module['context']}"
    artifact = {
        "type": "redhat-module", "id": module["id"], "issuer": module.get("owner") or "sandbox",
        "name": module["name"], "stream": module["stream"], "version": str(module["version"]),
        "context": module["context"], "nsvc": nsvc,
    }  # fmt: skip
    namespace = MODULE_TESTCASE.rsplit(".", 2)[0]
    return _result("redhat-module", artifact, namespace, outcome, prefix)


def build_result(
    nvr: str, task_id: int | None, outcome: str, prefix: str = CENTOS
) -> tuple[str, dict]:
    name = nvr.rsplit("-", 2)[0]
    artifact = {"type": "koji-build", "id": task_id or 0, "issuer": "sandbox", "component": name,
                "nvr": nvr, "scratch": False}  # fmt: skip
    namespace = BUILD_TESTCASE.rsplit(".", 2)[0]
    return _result("koji-build", artifact, namespace, outcome, prefix)


def _result(
    kind: str, artifact: dict, namespace: str, outcome: str, prefix: str
) -> tuple[str, dict]:
    event = "error" if outcome == "error" else "complete"
    test = {"namespace": namespace, "type": "tier0", "category": "functional"}
    if event == "complete":
        test["result"] = outcome
    body = {
        "artifact": artifact,
        "test": test,
        "run": {"url": "http://127.0.0.1/sandbox-ci/run", "log": "http://127.0.0.1/sandbox-ci/log"},
        "pipeline": {"id": f"sandbox-{artifact['id']}", "name": "sandbox tier0"},
        "contact": {"name": "sandbox CI", "email": "ci@sandbox.invalid"},
        "generated_at": datetime.now(UTC).isoformat(),
        "version": "1.1.14",
    }
    if event == "error":
        body["error"] = {"reason": "sandbox CI infrastructure error"}
    return f"{prefix}.ci.{kind}.test.{event}", body


class CISimulator:
    """A thread bound to the bus; ``published`` lists (topic, artifact) in order."""

    def __init__(
        self,
        amqp_url: str,
        outcomes: Mapping[str, str | None] | None = None,
        default: str | None = "passed",
        builds: bool = True,
    ):
        self.amqp_url = amqp_url
        self.outcomes = dict(outcomes or {})
        self.default = default
        self.builds = builds  # also answer rpm builds (koji-build results)
        self.published: list[tuple[str, str]] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ci-simulator", daemon=True)

    def start(self) -> CISimulator:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("CI simulator did not bind its queue within 30 s")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_url))
        channel = connection.channel()
        queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
        for key in LISTEN:
            channel.queue_bind(queue, "amq.topic", routing_key=key)
        channel.basic_consume(queue, lambda ch, method, props, body: self._on(ch, method, body))
        self._ready.set()
        try:
            while not self._stop.is_set():
                connection.process_data_events(time_limit=0.3)
        finally:
            if connection.is_open:
                connection.close()

    def _on(self, channel: Any, method: Any, raw: bytes) -> None:
        try:
            answer = self._answer(method.routing_key, json.loads(raw))
            if answer is not None:
                topic, body, artifact = answer
                channel.basic_publish("amq.topic", topic, json.dumps(body).encode(), properties())
                self.published.append((topic, artifact))
        except (ValueError, KeyError, TypeError):
            log.exception("CI simulator: cannot answer %s", method.routing_key)
        channel.basic_ack(method.delivery_tag)

    def _answer(self, topic: str, body: dict) -> tuple[str, dict, str] | None:
        if topic.endswith("conveyor.module.state.change.v1"):
            module = body["module_build"]
            if module.get("state") != "done":
                return None
            nsvc = f"{module['name']}:{module['stream']}:{module['version']}:{module['context']}"
            outcome = outcome_for(nsvc, self.outcomes, self.default)
            return None if outcome is None else (*module_result(module, outcome), nsvc)
        if not self.builds or body.get("new") != 1:  # 1: koji's COMPLETE
            return None
        nvr = f"{body['name']}-{body['version']}-{body['release']}"
        outcome = outcome_for(nvr, self.outcomes, self.default)
        return None if outcome is None else (*build_result(nvr, body.get("task_id"), outcome), nvr)
