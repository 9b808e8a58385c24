"""The koji API methods for tags, build targets, tagging and repositories."""

from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any

from .errors import GenericError, ParameterError, TagError
from .model import OWNER_ID, OWNER_NAME, Build, Listing, Repo, Tag, Target
from .queries import apply_query_opts, resolve_build, resolve_tag, resolve_target, tag_chain
from .views import repo_info, tag_info, tagged_build_info, target_info

if TYPE_CHECKING:
    from .actions import Actions
    from .builder import Builder
    from .store import Store


class TagMethods:
    TAG_EXPORTS = (
        "getTag",
        "listTags",
        "createTag",
        "getBuildTarget",
        "getBuildTargets",
        "createBuildTarget",
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

    # -- tags and targets --------------------------------------------------------

    def getTag(
        self, tagInfo: Any, strict: bool = False, event: Any = None, blocked: bool = False
    ) -> dict[str, Any] | None:
        tag = resolve_tag(self.store, tagInfo, strict)
        return None if tag is None else tag_info(tag)

    def listTags(
        self,
        build: Any = None,
        package: Any = None,
        perms: bool = True,
        queryOpts: dict[str, Any] | None = None,
        pattern: str | None = None,
    ) -> list[dict[str, Any]] | int:
        tags = self.store.find("tag")
        if build is not None:
            found = resolve_build(self.store, build, strict=True)
            assert found is not None
            listings = self.store.find("listing", lambda x: x.build_id == found.id)
            tagged = {x.tag_id for x in listings}
            tags = [t for t in tags if t.id in tagged]
        if pattern is not None:
            tags = [t for t in tags if fnmatch.fnmatchcase(t.name, pattern)]
        return apply_query_opts([tag_info(t) for t in tags], queryOpts)

    def createTag(
        self,
        name: str,
        parent: Any = None,
        arches: str | None = None,
        perm: Any = None,
        locked: bool = False,
        maven_support: bool = False,
        maven_include_all: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> int:
        if not isinstance(name, str) or not name:
            raise ParameterError(f"Invalid tag name: {name!r}")
        with self.store.transaction() as store:
            if resolve_tag(store, name, strict=False) is not None:
                raise GenericError(f"Tag {name} already exists")
            parent_tag = resolve_tag(store, parent) if parent is not None else None
            tag = Tag(
                id=store.next_id("tag"),
                name=name,
                arches=arches or "x86_64 aarch64",
                parent=parent_tag.id if parent_tag else None,
                locked=bool(locked),
                extra=dict(extra or {}),
            )
            return store.put(tag).id

    def getBuildTarget(
        self, info: Any, event: Any = None, strict: bool = False
    ) -> dict[str, Any] | None:
        target = resolve_target(self.store, info, strict)
        return None if target is None else self._target_info(target)

    def getBuildTargets(
        self,
        info: Any = None,
        event: Any = None,
        buildTagID: Any = None,
        destTagID: Any = None,
        queryOpts: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]] | int:
        rows = [self._target_info(t) for t in self.store.find("target")]
        if info is not None:
            rows = [r for r in rows if info in (r["id"], r["name"])]
        if buildTagID is not None:
            rows = [r for r in rows if buildTagID in (r["build_tag"], r["build_tag_name"])]
        if destTagID is not None:
            rows = [r for r in rows if destTagID in (r["dest_tag"], r["dest_tag_name"])]
        return apply_query_opts(rows, queryOpts, default_order="name")

    def createBuildTarget(self, name: str, build_tag: Any, dest_tag: Any) -> None:
        with self.store.transaction() as store:
            if resolve_target(store, name) is not None:
                raise GenericError(f"A build target with the name '{name}' already exists")
            build = resolve_tag(store, build_tag)
            dest = resolve_tag(store, dest_tag)
            assert build is not None and dest is not None
            store.put(
                Target(id=store.next_id("target"), name=name, build_tag=build.id, dest_tag=dest.id)
            )

    def _target_info(self, target: Target) -> dict[str, Any]:
        return target_info(
            target, self.store.get("tag", target.build_tag), self.store.get("tag", target.dest_tag)
        )

    # -- tagging -----------------------------------------------------------------

    def listTagged(
        self,
        tag: Any,
        event: Any = None,
        inherit: bool = False,
        prefix: str | None = None,
        latest: bool = False,
        package: Any = None,
        owner: Any = None,
        type: Any = None,
        strict: bool = True,
        extra: bool = False,
        draft: Any = None,
    ) -> list[dict[str, Any]]:
        found = resolve_tag(self.store, tag, strict=True)
        assert found is not None
        chain = tag_chain(self.store, found) if inherit else [found]
        rows: list[dict[str, Any]] = []
        seen: set[str] = set()
        for current in chain:
            listings: list[Listing] = self.store.find(
                "listing", lambda x, tag_id=current.id: x.tag_id == tag_id
            )
            for listing in sorted(listings, key=lambda x: -x.id):
                build: Build | None = self.store.get("build", listing.build_id)
                if build is None or (prefix and not build.name.startswith(prefix)):
                    continue
                if package is not None and package not in (build.name, build.package_id):
                    continue
                if owner is not None and owner not in (OWNER_ID, OWNER_NAME):
                    continue
                if latest and build.name in seen:
                    continue
                seen.add(build.name)
                rows.append(tagged_build_info(build, current, listing))
        return rows

    def getLatestBuilds(
        self, tag: Any, event: Any = None, package: Any = None, type: Any = None, draft: Any = None
    ) -> list[dict[str, Any]]:
        return self.listTagged(tag, inherit=True, latest=True, package=package)

    def tagBuild(self, tag: Any, build: Any, force: bool = False, fromtag: Any = None) -> int:
        """Tag a build (koji does this in a ``tagBuild`` task; here it finishes at once)."""
        dest = resolve_tag(self.store, tag)
        found = resolve_build(self.store, build, strict=True)
        source = resolve_tag(self.store, fromtag) if fromtag is not None else None
        assert dest is not None and found is not None
        task = self.actions.create_task("tagBuild", [dest.id, found.id, force, fromtag])
        try:
            if source is not None:
                self.actions.untag_build(found, source)
            self.actions.tag_build(found, dest)
        except TagError as exc:
            self.actions.fail_task(task.id, exc)
        else:
            self.actions.close_task(task.id, None)
        return task.id

    def untagBuild(self, tag: Any, build: Any, strict: bool = True, force: bool = False) -> None:
        found_tag = resolve_tag(self.store, tag)
        found = resolve_build(self.store, build, strict=True)
        assert found_tag is not None and found is not None
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
        found = resolve_tag(self.store, tag)
        assert found is not None
        return self.builder.submit("newRepo", [found.name]).id

    def getRepo(
        self, tag: Any, state: Any = None, event: Any = None, dist: bool = False
    ) -> dict[str, Any] | None:
        found = resolve_tag(self.store, tag)
        assert found is not None
        wanted = state if state is not None else 1
        repos: list[Repo] = self.store.find(
            "repo", lambda r: r.tag_id == found.id and r.state == wanted
        )
        return repo_info(repos[-1], found) if repos else None
