"""``conveyor replay``: run message files through the consumers' own path.

Files are JSON objects with ``topic``, ``body`` and optional ``headers`` and
``id`` (the format of the captured Fedora messages), directories of them
(recursively, sorted by name), or JSON-lines files. A message without an
``id`` gets a fresh one, so replaying a file twice handles it twice.
"""

from __future__ import annotations

import json
import logging
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from consumers.pipeline import Deps, Incoming, process
from conveyor.db import make_session_factory
from conveyor.errors import Invalid, Retryable
from conveyor.koji_client import KojiClient, RecordingKoji
from conveyor.settings import Settings
from models import Base

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    file: str
    topic: str
    outcome: str
    reason: str = ""
    actions: list[dict] = field(default_factory=list)

    def as_json(self) -> str:
        return json.dumps(self.__dict__, sort_keys=True)


class UnreadableMessage(Exception):
    """A file that holds no message in a format replay reads."""


def _message(data: object, where: str) -> Incoming:
    if not isinstance(data, dict) or not isinstance(data.get("topic"), str):
        raise UnreadableMessage(f"{where}: not a message (an object with a 'topic' string)")
    headers = data.get("headers") if isinstance(data.get("headers"), dict) else None
    message_id = data.get("id") if isinstance(data.get("id"), str) else str(uuid.uuid4())
    return Incoming(message_id, data["topic"], data.get("body"), headers)


def read_messages(paths: list[Path]) -> Iterator[tuple[str, Incoming]]:
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            yield from _read_file(file)


def _read_file(file: Path) -> Iterator[tuple[str, Incoming]]:
    text = file.read_text(encoding="utf-8")
    try:
        yield str(file), _message(json.loads(text), str(file))
        return
    except json.JSONDecodeError:
        pass
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            where = f"{file}:{number}"
            try:
                yield where, _message(json.loads(line), where)
            except json.JSONDecodeError as exc:
                raise UnreadableMessage(f"{where}: not JSON: {exc}") from exc


def dry_run_deps(settings: Settings, workdir: Path) -> tuple[Deps, RecordingKoji]:
    """A throwaway database and an empty, recording koji: nothing leaves the process."""
    session_factory = make_session_factory(f"sqlite:///{workdir / 'replay.sqlite'}")
    Base.metadata.create_all(session_factory.kw["bind"])
    koji = RecordingKoji()
    return Deps(session_factory, settings, koji), koji


def replay(paths: list[Path], settings: Settings, dry_run: bool) -> Iterator[ReplayReport]:
    """Yield one report per message; unexpected errors propagate to the caller."""
    with tempfile.TemporaryDirectory(prefix="conveyor-replay-") as tmp:
        if dry_run:
            deps, recorder = dry_run_deps(settings, Path(tmp))
        else:
            recorder = None
            deps = Deps(
                make_session_factory(settings.database_url), settings, KojiClient(settings.koji)
            )
        for where, msg in read_messages(paths):
            before = len(recorder.actions) if recorder else 0
            try:
                result = process(msg, deps)
            except (Invalid, Retryable) as exc:
                yield ReplayReport(where, msg.topic, "rejected", str(exc))
                continue
            actions = recorder.actions[before:] if recorder else []
            yield ReplayReport(where, msg.topic, result.outcome, result.reason, list(actions))
