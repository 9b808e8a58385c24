"""The koji API methods for tagging builds and for repositories."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api_packages import package_entries, package_problem
from .errors import ActionNotAllowed, TagError
from .inheritance import ancestors
from .model import OWNER_ID, OWNER_NAME, Build, BuildState, Listing, Repo, Tag
from .queries import resolve_build, resolve_tag
from .views import repo_info, tagged_build_info

if TYPE_CHECKING:
    from .actions import Actions
    from .builder import Builder
    from .store import Store

REPO_READY = 1


def check_unlocked(tag: Tag, force: bool) -> None:
    if tag.locked and not force:
        raise ActionNotAllowed(f"tag {tag.name} is locked")


class TaggingMethods:
    METHODS = (
        "listTagged",
        "getLatestBuilds",
        "tagBuild",
        "untagBuild",
        "newRepo",
        "getRepo",
    )
    store: Store
    actions: Actions
    builder: Builder

    def listTagged(
        self,
        tag: Any,
        event: Any = None,
        inherit: bool = False,
        prefix: str | None = None,
        latest: bool | int = False,
        package: Any = None,
        owner: Any = None,
        type: Any = None,
        strict: bool = True,
        extra: bool = False,
        draft: Any = None,
    ) -> list[dict[str, Any]]:
        """Complete builds in the tag, most recently tagged first; with ``inherit``, then
        those of every ancestor (by priority, depth first). ``latest``: the first (or N)
        per package. Builds of packages blocked in the tag's package list are left out."""
        found = resolve_tag(self.store, tag, strict=bool(strict))
        if found is None:
            return []
        at = None if event is None else int(event)  # koji: the tag's content at that event
        chain = ancestors(self.store, found) if inherit else [found]
        blocked = {pid for pid, e in package_entries(self.store, found.id).items() if e.blocked}
        limit = 0 if latest is False or latest is None else 1 if latest is True else int(latest)
        counts: dict[int, int] = {}
        rows: list[dict[str, Any]] = []
        for current in chain:
            listings: list[Listing] = self.store.find(
                "listing", lambda x, tag_id=current.id: x.tag_id == tag_id and x.active_at(at)
            )
            for listing in sorted(listings, key=lambda x: -x.id):
                build: Build | None = self.store.get("build", listing.build_id)
                if build is None or build.state != BuildState.COMPLETE:
                    continue
                if build.package_id in blocked:
                    continue
                if prefix and not build.name.lower().startswith(prefix.lower()):
                    continue
                if package is not None and package not in (build.name, build.package_id):
                    continue
                if owner is not None and owner not in (OWNER_ID, OWNER_NAME):
                    continue
                if limit:
                    if counts.get(build.package_id, 0) >= limit:
                        continue
                    counts[build.package_id] = counts.get(build.package_id, 0) + 1
                rows.append(tagged_build_info(build, current, listing))
        return rows

    def getLatestBuilds(
        self, tag: Any, event: Any = None, package: Any = None, type: Any = None, draft: Any = None
    ) -> list[dict[str, Any]]:
        return self.listTagged(tag, event=event, inherit=True, latest=True, package=package)

    def tagBuild(self, tag: Any, build: Any, force: bool = False, fromtag: Any = None) -> int:
        """Tag a build (with ``fromtag``: move it). Like koji, the checks koji makes up
        front raise at once (unknown tag or build, build not complete, locked tag, package
        not in the tag's list); the tagging itself runs as a ``tagBuild`` task, which fails
        with a TagError when the build is already in the tag (unless ``force``). The
        sandbox runs that task at once: it is finished when this call returns."""
        found = resolve_build(self.store, build, strict=True)
        dest = resolve_tag(self.store, tag, strict=True)
        source = resolve_tag(self.store, fromtag, strict=True) if fromtag else None
        assert found is not None and dest is not None
        if found.state != BuildState.COMPLETE:
            state = BuildState(found.state).name
            raise TagError(f"build {found.nvr} not complete: state {state}")
        for checked in (dest, source):
            if checked is not None:
                check_unlocked(checked, force)
        problem = package_problem(self.store, dest.id, found.package_id)
        if problem and not force:
            detail = "not in list for" if problem == "missing" else "blocked in"
            raise TagError(f"Package {found.name} {detail} {dest.name}")
        request = [dest.id, found.id, bool(force), source.id if source else None]
        task = self.actions.create_task("tagBuild", request, priority=10)
        try:
            if source is not None:
                self.actions.untag_build(found, source)
            self.actions.tag_build(found, dest, force=bool(force))
        except TagError as exc:
            self.actions.fail_task(task.id, exc)
        else:
            self.actions.close_task(task.id, None)
        return task.id

    def untagBuild(self, tag: Any, build: Any, strict: bool = True, force: bool = False) -> None:
        found_tag = resolve_tag(self.store, tag, strict=True)
        found = resolve_build(self.store, build, strict=True)
        assert found_tag is not None and found is not None
        check_unlocked(found_tag, force)
        self.actions.untag_build(found, found_tag, strict=strict)

    # -- repositories ------------------------------------------------------------

    def newRepo(
        self,
        tag: Any,
        event: Any = None,
        src: bool = False,
        debuginfo: bool = False,
        separate_src: bool = False,
    ) -> int:
        """Start a ``newRepo`` task; when it closes, the repo is READY and
        ``buildsys.repo.done`` is published."""
        found = resolve_tag(self.store, tag, strict=True)
        assert found is not None
        opts = {"event": event, "src": src, "debuginfo": debuginfo, "separate_src": separate_src}
        opts = {k: v for k, v in opts.items() if v}
        request: list[Any] = [found.name, {"__starstar": True, **opts}] if opts else [found.name]
        return self.builder.submit("newRepo", request, priority=15).id

    def getRepo(
        self, tag: Any, state: Any = None, event: Any = None, dist: bool = False
    ) -> dict[str, Any] | None:
        """The newest repo of the tag in ``state`` (READY by default), or None."""
        if isinstance(tag, int) and not isinstance(tag, bool):
            found: Tag | None = self.store.get("tag", tag)  # koji does not check the id
        else:
            found = resolve_tag(self.store, tag, strict=True)
        if found is None or dist:
            return None
        if event:
            repos: list[Repo] = self.store.find(
                "repo", lambda r: r.tag_id == found.id and r.id <= event
            )
        else:
            wanted = REPO_READY if state is None else state
            repos = self.store.find("repo", lambda r: r.tag_id == found.id and r.state == wanted)
        return repo_info(repos[-1], found) if repos else None
