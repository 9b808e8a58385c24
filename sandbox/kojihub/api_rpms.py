"""The koji API methods for RPM files and events: ``listBuildRPMs``, ``getLastEvent``.

RPM files are real (see ``rpmfiles``) and live below the hub's ``topdir`` in
koji's layout, so a client computes their paths with ``koji.PathInfo(topdir)``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .actions import Actions
from .errors import GenericError
from .model import Build, BuildState, Event, Listing
from .queries import resolve_build, resolve_tag
from .rpmfiles import ARCH, ensure_rpm, rpm_info
from .store import Store


class RpmMethods:
    METHODS = (
        "listBuildRPMs",
        "getLastEvent",
        "getEvent",
        "createEmptyBuild",
        "tagChangedSinceEvent",
    )
    store: Store
    actions: Actions
    topdir: Path | None

    def createEmptyBuild(
        self,
        name: str,
        version: str,
        release: str,
        epoch: Any = None,
        owner: Any = None,
        draft: bool = False,
    ) -> int:
        """koji's admin call: a complete build with no task (imports, tests, the demo)."""
        nvr = (str(name), str(version), str(release))
        with self.store.transaction() as store:
            if store.find_one("build", lambda b: (b.name, b.version, b.release) == nvr):
                raise GenericError(f"Build already exists: {'-'.join(nvr)}")
            build = Build(
                id=store.next_id("build"), package_id=self.actions.package_id(nvr[0]),
                name=nvr[0], version=nvr[1], release=nvr[2],
                epoch=None if epoch is None else int(epoch), state=BuildState.COMPLETE,
                task_id=None, source="", creation_ts=time.time(), completion_ts=time.time(),
            )  # fmt: skip
            store.put(build)
        return build.id

    def listBuildRPMs(self, build: Any, buildroot: Any = None, arches: Any = None) -> list[dict]:
        """The build's RPMs (one noarch RPM per complete build), made on first request."""
        found = resolve_build(self.store, build, strict=True)
        assert found is not None
        if found.state != BuildState.COMPLETE:
            return []
        wanted = [arches] if isinstance(arches, str) else arches
        if wanted and ARCH not in wanted:
            return []
        if self.topdir is None:
            raise GenericError("this sandbox hub has no topdir: it keeps no RPM files")
        return [rpm_info(found, ensure_rpm(self.topdir, found))]

    def getLastEvent(self, before: Any = None, strict: bool = True) -> dict[str, Any]:
        events: list[Event] = self.store.find("event")
        if before is not None:
            events = [e for e in events if e.ts < float(before)]
        if not events:  # a fresh hub: event 0 is "before anything was tagged"
            return {"id": 0, "ts": time.time()}
        last = events[-1]
        return {"id": last.id, "ts": last.ts}

    def getEvent(self, id: Any, strict: bool = True) -> dict[str, Any] | None:
        event: Event | None = self.store.get("event", int(id))
        if event is None:
            if strict:
                raise GenericError(f"No such event: {id}")
            return None
        return {"id": event.id, "ts": event.ts}

    def tagChangedSinceEvent(self, event: Any, taglist: Any) -> bool:
        """koji's check (ODCS reuses a tag compose with it): was a build tagged into or
        untagged from any of the tags after ``event``? (This hub records no other changes.)"""
        since = int(event)
        tag_ids = set()
        for info in taglist:
            tag = resolve_tag(self.store, info, strict=False)
            if tag is not None:
                tag_ids.add(tag.id)

        def changed(listing: Listing) -> bool:
            moved = (listing.create_event, listing.revoke_event or 0)
            return listing.tag_id in tag_ids and max(moved) > since

        return bool(self.store.find("listing", changed))
