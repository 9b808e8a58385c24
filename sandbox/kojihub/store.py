"""In-memory record store, thread-safe, optionally persisted to one SQLite file.

Records are the dataclasses of ``model``. Callers get copies; a change is made
by ``put`` (or ``delete``) inside ``with store.transaction():``, which holds the
store's lock so a multi-step change is atomic, and commits the SQLite file once
at the end of the outermost transaction.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from .model import RECORD_TYPES, Inheritance, Tag, Target

R = TypeVar("R")

# First id of each kind: distinct ranges make a task id mistaken for a build id obvious.
FIRST_IDS = {"task": 100001, "build": 2001, "user": 2}  # user 1 is the hub's own owner

DEFAULT_TARGETS: list[tuple[str, str, str, str]] = [
    # (target, build tag, destination tag, dist)
    ("rawhide", "f44-build", "f44", ".fc44"),
    *[
        (f"f{n}-candidate", f"f{n}-build", f"f{n}-updates-candidate", f".fc{n}")
        for n in range(40, 45)
    ],
    *[
        (f"epel{n}-candidate", f"epel{n}-build", f"epel{n}-testing-candidate", f".el{n}")
        for n in (8, 9, 10)
    ],
]


# Release tags without a target of their own (koji has many of these).
EXTRA_TAGS = [
    *[f"f{n}{suffix}" for n in range(40, 45) for suffix in ("", "-updates", "-updates-testing")],
    *[f"epel{n}{suffix}" for n in (8, 9, 10) for suffix in ("", "-testing")],
]


def _kind(record: Any) -> str:
    for kind, cls in RECORD_TYPES.items():
        if type(record) is cls:
            return kind
    raise TypeError(f"not a store record: {record!r}")


class Store:
    def __init__(self, state_path: Path | None = None) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        self._records: dict[str, dict[int, Any]] = {kind: {} for kind in RECORD_TYPES}
        self._db: sqlite3.Connection | None = None
        if state_path is not None:
            self._open_db(state_path)
            with self.transaction():
                self._migrate_parents()
        if not self._records["target"]:
            with self.transaction():
                self._seed()

    # -- persistence -------------------------------------------------------------

    def _open_db(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS records ("
            " kind TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL,"
            " PRIMARY KEY (kind, id))"
        )
        self._db.commit()
        for kind, data in self._db.execute("SELECT kind, data FROM records ORDER BY id"):
            cls = RECORD_TYPES.get(kind)
            if cls is not None:
                record = cls(**json.loads(data))
                self._records[kind][record.id] = record

    def _migrate_parents(self) -> None:
        """State files of older hubs kept one ``parent`` per tag: make it an inheritance link."""
        for tag in self.find("tag", lambda t: t.parent is not None):
            if not self.find_one("inheritance", lambda x, t=tag: x.tag_id == t.id):
                link = Inheritance(self.next_id("inheritance"), tag.id, tag.parent, priority=0)
                self.put(link)
            tag.parent = None
            self.put(tag)

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- access ------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        with self._lock:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
                if self._depth == 0 and self._db is not None:
                    self._db.commit()

    def get(self, kind: str, record_id: int) -> Any | None:
        with self._lock:
            record = self._records[kind].get(record_id)
            return copy.deepcopy(record)

    def find(self, kind: str, match: Callable[[Any], bool] | None = None) -> list[Any]:
        """All records of ``kind`` (that ``match``), in id order, as copies."""
        with self._lock:
            rows = [r for r in self._records[kind].values() if match is None or match(r)]
            rows.sort(key=lambda r: r.id)
            return copy.deepcopy(rows)

    def find_one(self, kind: str, match: Callable[[Any], bool]) -> Any | None:
        rows = self.find(kind, match)
        return rows[0] if rows else None

    def next_id(self, kind: str) -> int:
        with self._lock:
            existing = self._records[kind]
            return max(existing, default=FIRST_IDS.get(kind, 1) - 1) + 1

    def put(self, record: R) -> R:
        kind = _kind(record)
        with self.transaction():
            self._records[kind][record.id] = copy.deepcopy(record)  # type: ignore[attr-defined]
            if self._db is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO records (kind, id, data) VALUES (?, ?, ?)",
                    (kind, record.id, json.dumps(dataclasses.asdict(record))),  # type: ignore
                )
        return record

    def delete(self, kind: str, record_id: int) -> None:
        with self.transaction():
            self._records[kind].pop(record_id, None)
            if self._db is not None:
                self._db.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, record_id))

    # -- seed data ---------------------------------------------------------------

    def tag_id(self, name: str, dist: str | None = None) -> int:
        """The id of tag ``name``, created when missing (used for seeding)."""
        existing = self.find_one("tag", lambda t: t.name == name)
        if existing is not None:
            return int(existing.id)
        extra = {"rpm.macro.dist": dist} if dist else {}
        return self.put(Tag(id=self.next_id("tag"), name=name, extra=extra)).id

    def _seed(self) -> None:
        for name, build_tag, dest_tag, dist in DEFAULT_TARGETS:
            build_id = self.tag_id(build_tag, dist)
            dest_id = self.tag_id(dest_tag)
            self.put(
                Target(id=self.next_id("target"), name=name, build_tag=build_id, dest_tag=dest_id)
            )
        for name in EXTRA_TAGS:
            self.tag_id(name)
