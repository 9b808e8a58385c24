"""The ``odcs`` backend: an ODCS server makes the compose through its REST API v1.

``generate`` asks ``POST /api/1/composes/`` and returns at once with the
remote compose's id (``Result.pending``): the compose consumer stores that id
as the local compose's ``external_id``, and the ``odcs.compose.state-changed``
messages of the remote compose then move the local one
(``consumers.handle_compose_bus``). A redelivered request whose local compose
already names a remote compose that is still alive reuses it instead of asking
twice; a removed or failed remote one is regenerated with ODCS's PATCH.
``remove`` asks ``DELETE /api/1/composes/<id>``.

Every call has a timeout and at most ``odcs.max_attempts`` attempts, retried
only on connection errors and 5xx answers; exhausted attempts are
``Retryable`` (the message is retried later), a 4xx answer is
``GenerationFailed`` with ODCS's message.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

import requests

from conveyor.composes.backends.base import ComposeInputs, GenerationFailed, Result
from conveyor.errors import Retryable
from conveyor.settings import Settings
from models.base import utcnow
from models.compose import Compose

log = logging.getLogger(__name__)

ALIVE = frozenset({0, 1, 2})  # ODCS codes: wait, generating, done
BACKOFF_SECONDS = 0.5  # doubled after each failed attempt


class OdcsBackend:
    name = "odcs"

    def __init__(self, settings: Settings, http: requests.Session | None = None):
        self.settings = settings.odcs
        if not self.settings.server_url:
            raise GenerationFailed("odcs.server_url is not set: the odcs backend has no server")
        self.base = self.settings.server_url.rstrip("/") + "/api/1/composes/"
        self.http = http or requests.Session()
        if self.settings.token:
            self.http.headers["Authorization"] = f"Bearer {self.settings.token}"

    def generate(self, compose: Compose, inputs: ComposeInputs) -> Result:
        remote = self._existing(compose)
        if remote is None:
            remote = self._call("POST", self.base, json=request_body(compose, inputs))
        elif remote["state"] not in ALIVE:  # ODCS regenerates a removed or failed compose
            remote = self._call("PATCH", f"{self.base}{remote['id']}", json=_lifetime(compose))
        log.info("compose #%d is ODCS compose %s (%s)", compose.id, remote["id"],
                 remote.get("state_name"))  # fmt: skip
        return Result(
            koji_event=remote.get("koji_event"),
            repo_url=remote.get("result_repo"),
            repofile_url=remote.get("result_repofile"),
            external_id=str(remote["id"]),
            pending=True,
        )

    def remove(self, compose: Compose) -> None:
        if not compose.external_id:
            return  # never reached the server
        self._call("DELETE", f"{self.base}{compose.external_id}", missing_ok=True)

    def _existing(self, compose: Compose) -> dict[str, Any] | None:
        if not compose.external_id:
            return None
        return self._call("GET", f"{self.base}{compose.external_id}", missing_ok=True)

    def _call(
        self, method: str, url: str, *, json: dict | None = None, missing_ok: bool = False
    ) -> dict[str, Any] | None:
        """One ODCS call, retried on connection errors and 5xx; its JSON answer."""
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            problem = ""
            try:
                response = self.http.request(method, url, json=json, timeout=self.settings.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 500:
                    return _answer(method, url, response, missing_ok)
                problem = f"HTTP {response.status_code}"
            log.warning("ODCS %s %s attempt %d/%d: %s", method, url, attempt, attempts, problem)
            if attempt < attempts:
                time.sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        raise Retryable(f"ODCS {method} {url} failed {attempts} times, last: {problem}")


def _answer(
    method: str, url: str, response: requests.Response, missing_ok: bool
) -> dict[str, Any] | None:
    if response.status_code == 404 and missing_ok:
        return None
    try:
        body = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else None
        if missing_ok and method == "DELETE" and response.status_code == 400:
            return None  # already removed (or never done): nothing left to delete
        raise GenerationFailed(f"ODCS refused {method}: {message or response.reason}")
    if not isinstance(body, dict) or (method != "DELETE" and not isinstance(body.get("id"), int)):
        raise GenerationFailed(f"ODCS answered {method} {url} with no compose")
    return body


def request_body(compose: Compose, inputs: ComposeInputs) -> dict[str, Any]:
    """The compose's pinned inputs as an ODCS request (ODCS's field names and shapes)."""
    source: dict[str, Any] = {"type": inputs.source_type}
    if inputs.source_type == "build":
        source["builds"] = list(inputs.sources)
    else:
        source["source"] = " ".join(inputs.sources)
    if inputs.packages:
        source["packages"] = list(inputs.packages)
    if inputs.sigkeys:
        source["sigkeys"] = list(inputs.sigkeys)
    if inputs.koji_event is not None and inputs.source_type == "tag":
        source["koji_event"] = inputs.koji_event  # a regeneration reads the tag as it was
    body: dict[str, Any] = {"source": source, "arches": list(inputs.arches), **_lifetime(compose)}
    if inputs.flags:
        body["flags"] = list(inputs.flags)
    if compose.label:
        body["label"] = compose.label
    if compose.compose_type:
        body["compose_type"] = compose.compose_type
    return body


def _lifetime(compose: Compose) -> dict[str, int]:
    """The local compose's remaining life, so the remote one expires with it."""
    if compose.time_to_expire is None:
        return {}
    left = compose.time_to_expire - utcnow()
    return {"seconds_to_live": max(int(left / timedelta(seconds=1)), 60)}
