"""The koji API methods for tags and build targets (tagging and repos: ``api_tagging``)."""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Any

from .errors import GenericError, ParameterError
from .inheritance import build_config, write_inheritance
from .model import PERMISSIONS, Tag, TagPackage, Target
from .queries import (
    apply_query_opts,
    owner_name,
    resolve_build,
    resolve_named,
    resolve_tag,
    resolve_target,
)
from .views import tag_info, target_info

if TYPE_CHECKING:
    from .store import Store

NAME_RE = re.compile(r"^[A-Za-z0-9/_.+-]+$")
ARCH_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def parse_arches(arches: Any) -> str | None:
    """koji.parse_arches: a space-separated list (commas and runs of blanks accepted)."""
    if arches is None:
        return None
    if not isinstance(arches, str):
        raise ParameterError(f"Invalid arches: {arches!r}")
    parts = arches.replace(",", " ").split()
    if not all(ARCH_RE.match(a) for a in parts):
        raise GenericError("Architecture can be only [a-zA-Z0-9_-]")
    return " ".join(parts)


def perm_name(perm: Any) -> str | None:
    """A permission given by id or name (koji's ``get_perm_id(strict=True)``)."""
    if perm is None:
        return None
    if isinstance(perm, int) and not isinstance(perm, bool) and 0 < perm <= len(PERMISSIONS):
        return PERMISSIONS[perm - 1]
    if isinstance(perm, str) and perm in PERMISSIONS:
        return perm
    raise GenericError(f"No such entry in table permissions: {perm}")


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise GenericError(f"Name {name!r} does not match RegexNameInternal value")
    return name


class TagMethods:
    METHODS = (
        "getTag",
        "listTags",
        "createTag",
        "editTag",
        "editTag2",
        "getBuildConfig",
        "getBuildTarget",
        "getBuildTargets",
        "createBuildTarget",
    )
    store: Store

    def getTag(
        self, tagInfo: Any, strict: bool = False, event: Any = None, blocked: bool = False
    ) -> dict[str, Any] | None:
        tag = resolve_tag(self.store, tagInfo, strict)
        return None if tag is None else tag_info(tag, blocked=blocked)

    def listTags(
        self,
        build: Any = None,
        package: Any = None,
        perms: bool = True,
        queryOpts: dict[str, Any] | None = None,
        pattern: str | None = None,
    ) -> list[dict[str, Any]] | int:
        if build is not None and package is not None:
            raise GenericError("only one of build and package may be specified")
        tags: list[Tag] = self.store.find("tag")
        rows = [tag_info(t) for t in tags]
        if build is not None:
            found = resolve_build(self.store, build, strict=True)
            assert found is not None
            listings = self.store.find(
                "listing", lambda x: x.build_id == found.id and x.active_at(None)
            )
            tagged = {x.tag_id for x in listings}
            rows = [r for r in rows if r["id"] in tagged]
        elif package is not None:
            pkg = resolve_named(self.store, "package", package)
            if pkg is None:
                raise GenericError(f"No such package: {package}")
            listed: list[TagPackage] = self.store.find(
                "tag_package", lambda e: e.package_id == pkg.id
            )
            entries = {e.tag_id: e for e in listed}
            rows = [r for r in rows if r["id"] in entries]
            for row in rows:
                entry = entries[row["id"]]
                row.update(
                    owner_id=entry.owner_id,
                    owner_name=owner_name(self.store, entry.owner_id),
                    blocked=entry.blocked,
                    extra_arches=entry.extra_arches,
                )
        if pattern is not None:
            rows = [r for r in rows if fnmatch.fnmatch(r["name"].lower(), pattern.lower())]
        for row in rows:
            row.pop("extra")
            if not perms:
                row.pop("perm")
                row.pop("perm_id")
        return apply_query_opts(rows, queryOpts)

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
        check_name(name)
        arches = parse_arches(arches)
        if maven_support or maven_include_all:
            raise GenericError("Maven support not enabled")
        if extra is not None and not isinstance(extra, dict):
            raise ParameterError(f"Invalid extra: {extra!r}")
        with self.store.transaction() as store:
            if resolve_tag(store, name, strict=False) is not None:
                raise GenericError(f"A tag with the name '{name}' already exists")
            parent_tag = resolve_tag(store, parent, strict=False) if parent else None
            if parent and parent_tag is None:
                raise GenericError(f"Parent tag '{parent}' could not be found")
            tag = Tag(
                id=store.next_id("tag"),
                name=name,
                arches=arches,
                locked=bool(locked),
                extra=dict(extra or {}),
                perm=perm_name(perm),
            )
            store.put(tag)
            if parent_tag is not None:
                link = {"parent_id": parent_tag.id, "priority": 0, "maxdepth": None}
                link.update(intransitive=False, noconfig=False, pkg_filter="")
                write_inheritance(store, tag.id, link)
            return tag.id

    def editTag(
        self,
        tagInfo: Any,
        name: str | None,
        arches: str | None,
        locked: bool,
        permissionID: Any,
        extra: dict[str, Any] | None = None,
    ) -> None:
        """The older form of ``editTag2`` (koji keeps it for old clients)."""
        changes: dict[str, Any] = {
            "name": name,
            "arches": arches,
            "locked": locked,
            "perm_id": permissionID,
        }
        if extra is not None:
            changes["extra"] = extra
        self.editTag2(tagInfo, **changes)

    def editTag2(self, tagInfo: Any, **kwargs: Any) -> None:
        """Change name, arches, locked, perm (perm_id), extra, remove_extra, block_extra."""
        if "maven_support" in kwargs or "maven_include_all" in kwargs:
            raise GenericError("Maven support not enabled")
        for key in ("remove_extra", "block_extra"):
            if kwargs.get(key) is not None and not isinstance(kwargs[key], list):
                raise ParameterError(f"Invalid type for value {kwargs[key]!r}: list expected")
        extra = kwargs.get("extra") or {}
        if not isinstance(extra, dict):
            raise ParameterError(f"Invalid extra: {extra!r}")
        remove, block = kwargs.get("remove_extra") or [], kwargs.get("block_extra") or []
        conflicts = (set(remove) | set(block)) & set(extra)
        if conflicts:
            raise GenericError(
                f"Can not both add/update and remove tag-extra: '{sorted(conflicts)[0]}'"
            )
        with self.store.transaction() as store:
            tag = resolve_tag(store, tagInfo, strict=True)
            assert tag is not None
            missing = [key for key in remove if key not in tag.extra]
            if missing:
                raise GenericError(f"Tag: {tag.name} doesn't have extra: {', '.join(missing)}")
            name = kwargs.get("name")
            if name and name != tag.name:
                taken = resolve_tag(store, check_name(name), strict=False)
                if taken is not None:
                    raise GenericError(f"Name {name} already taken by tag {taken.id}")
                tag.name = name
            if "arches" in kwargs:
                tag.arches = parse_arches(kwargs["arches"])
            if "locked" in kwargs:
                tag.locked = bool(kwargs["locked"])
            if "perm_id" in kwargs or "perm" in kwargs:
                tag.perm = perm_name(kwargs.get("perm_id", kwargs.get("perm")))
            tag.extra.update(extra)
            for key in [*remove, *block]:
                tag.extra.pop(key, None)
            blocked = [k for k in tag.blocked_extra if k not in extra and k not in remove]
            tag.blocked_extra = [*blocked, *(k for k in block if k not in blocked)]
            store.put(tag)

    def getBuildConfig(self, tag: Any, event: Any = None) -> dict[str, Any]:
        """The tag with arches and extra inherited (what builds in it see)."""
        found = resolve_tag(self.store, tag, strict=True)
        assert found is not None
        return {**tag_info(found), **build_config(self.store, found)}

    # -- build targets -----------------------------------------------------------

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
        check_name(name)
        with self.store.transaction() as store:
            if resolve_target(store, name) is not None:
                raise GenericError(f"A build target with the name '{name}' already exists")
            build = resolve_tag(store, build_tag, strict=False)
            if build is None:
                raise GenericError(f"build tag '{build_tag}' does not exist")
            dest = resolve_tag(store, dest_tag, strict=False)
            if dest is None:
                raise GenericError(f"destination tag '{dest_tag}' does not exist")
            store.put(
                Target(id=store.next_id("target"), name=name, build_tag=build.id, dest_tag=dest.id)
            )

    def _target_info(self, target: Target) -> dict[str, Any]:
        return target_info(
            target, self.store.get("tag", target.build_tag), self.store.get("tag", target.dest_tag)
        )
