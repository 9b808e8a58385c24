"""The koji API methods for a tag's comps groups (``build``, ``srpm-build``: the buildroot).

Groups are global names; a tag lists groups (``groupListAdd``) and each group's
packages (``groupPackageListAdd``). Both are inherited: the tag's own entry for
a group or package wins over a parent's. Group requirements (``groupReq*``) are
not modelled: ``grouplist`` is always empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import GenericError
from .inheritance import full_inheritance
from .model import GroupPackage, TagGroup
from .queries import named_id, resolve_named, resolve_tag

if TYPE_CHECKING:
    from .store import Store

GROUP_FIELDS = (
    "exported",
    "display_name",
    "is_default",
    "uservisible",
    "description",
    "langonly",
    "biarchonly",
    "blocked",
)
PACKAGE_FIELDS = ("type", "basearchonly", "requires")


def _group_row(store: Store, entry: TagGroup) -> dict[str, Any]:
    group = store.get("group", entry.group_id)
    row = {"name": group.name if group else str(entry.group_id), "group_id": entry.group_id}
    row["tag_id"] = entry.tag_id
    row.update({f: getattr(entry, f) for f in GROUP_FIELDS})
    return row


def _package_row(entry: GroupPackage) -> dict[str, Any]:
    row = {"group_id": entry.group_id, "tag_id": entry.tag_id, "package": entry.package}
    row["blocked"] = entry.blocked
    row.update({f: getattr(entry, f) for f in PACKAGE_FIELDS})
    return row


def tag_groups(
    store: Store, tag_id: int, inherit: bool = True, incl_pkgs: bool = True
) -> dict[int, dict[str, Any]]:
    """group id -> group row (first found along the inheritance), with ``packagelist``
    (package name -> row) merged over the same tags unless the group is blocked."""
    tags = [tag_id]
    if inherit:
        tags += [link["parent_id"] for link in full_inheritance(store, tag_id)]
    groups: dict[int, dict[str, Any]] = {}
    for current in tags:
        for entry in store.find("tag_group", lambda g, t=current: g.tag_id == t):
            groups.setdefault(entry.group_id, _group_row(store, entry))
    if incl_pkgs:
        for group in groups.values():
            group["packagelist"] = {}
        for current in tags:
            for item in store.find("group_package", lambda p, t=current: p.tag_id == t):
                group = groups.get(item.group_id)
                if group is not None and not group["blocked"]:
                    group["packagelist"].setdefault(item.package, _package_row(item))
    return groups


def _own_group(store: Store, tag_id: int, group_id: int) -> TagGroup | None:
    return store.find_one("tag_group", lambda g: (g.tag_id, g.group_id) == (tag_id, group_id))


def _changed(previous: dict[str, Any], opts: dict[str, Any], fields: tuple[str, ...]) -> bool:
    """Fill ``opts`` from ``previous`` where not given; True when a given value differs."""
    changed = False
    for field in fields:
        if field in opts:
            changed = changed or opts[field] != previous[field]
        else:
            opts[field] = previous[field]
    return changed


class GroupMethods:
    METHODS = ("groupListAdd", "groupListRemove", "groupPackageListAdd", "getTagGroups")
    store: Store

    def groupListAdd(
        self, taginfo: Any, grpinfo: Any, block: bool = False, force: bool = False, **opts: Any
    ) -> None:
        """Add (or change) a group in the tag; the same group already there, inherited
        or not, is left alone. The group name is created on first use."""
        with self.store.transaction() as store:
            tag = resolve_tag(store, taginfo, strict=True)
            assert tag is not None
            group = resolve_named(store, "group", grpinfo)
            if group is None:
                if not isinstance(grpinfo, str):
                    raise GenericError("Name must be a string")
                group = store.get("group", named_id(store, "group", grpinfo))
            config = {k: v for k, v in opts.items() if k in GROUP_FIELDS}
            config["blocked"] = bool(block)
            previous = tag_groups(store, tag.id, incl_pkgs=False).get(group.id)
            if previous is not None:
                if previous["blocked"] and not force:
                    raise GenericError(f"group {group.name} is blocked in tag {tag.name}")
                if not _changed(previous, config, GROUP_FIELDS):
                    return
            config.setdefault("display_name", group.name)
            own = _own_group(store, tag.id, group.id)
            entry_id = own.id if own else store.next_id("tag_group")
            store.put(TagGroup(id=entry_id, tag_id=tag.id, group_id=group.id, **config))

    def groupListRemove(self, taginfo: Any, grpinfo: Any, force: bool = False) -> None:
        with self.store.transaction() as store:
            tag = resolve_tag(store, taginfo, strict=True)
            group = resolve_named(store, "group", grpinfo, strict=True)
            assert tag is not None and group is not None
            own = _own_group(store, tag.id, group.id)
            if own is None:
                if not force:
                    raise GenericError(f"No group: {group.name} found for tag: {tag.name}")
                return
            store.delete("tag_group", own.id)

    def groupPackageListAdd(
        self,
        taginfo: Any,
        grpinfo: Any,
        pkg_name: str,
        block: bool = False,
        force: bool = False,
        **opts: Any,
    ) -> None:
        """Add a package to a group the tag has (its own or inherited)."""
        with self.store.transaction() as store:
            tag = resolve_tag(store, taginfo, strict=True)
            group = resolve_named(store, "group", grpinfo, strict=True)
            assert tag is not None and group is not None
            config = tag_groups(store, tag.id).get(group.id)
            if config is None:
                raise GenericError(f"group {group.name} not present in tag {tag.name}")
            if config["blocked"]:
                raise GenericError(f"group {group.name} is blocked in tag {tag.name}")
            settings = {k: v for k, v in opts.items() if k in PACKAGE_FIELDS}
            previous = config["packagelist"].get(pkg_name)
            if previous is not None:
                if previous["blocked"] and not force:
                    raise GenericError(
                        f"package {pkg_name} blocked in group {group.name}, tag {tag.name}"
                    )
                if not (_changed(previous, settings, PACKAGE_FIELDS) or block or force):
                    return
            settings.setdefault("type", "mandatory")
            own = store.find_one(
                "group_package",
                lambda p: (p.tag_id, p.group_id, p.package) == (tag.id, group.id, pkg_name),
            )
            store.put(
                GroupPackage(
                    id=own.id if own else store.next_id("group_package"),
                    tag_id=tag.id,
                    group_id=group.id,
                    package=pkg_name,
                    blocked=bool(block),
                    **settings,
                )
            )

    def getTagGroups(
        self,
        tag: Any,
        event: Any = None,
        inherit: bool = True,
        incl_pkgs: bool = True,
        incl_reqs: bool = True,
        incl_blocked: bool = False,
    ) -> list[dict[str, Any]]:
        found = resolve_tag(self.store, tag, strict=True)
        assert found is not None
        groups = list(tag_groups(self.store, found.id, bool(inherit), bool(incl_pkgs)).values())
        for group in groups:
            if "packagelist" in group:
                group["packagelist"] = [
                    p for p in group["packagelist"].values() if incl_blocked or not p["blocked"]
                ]
            if incl_reqs:
                group["grouplist"] = []
        return [g for g in groups if incl_blocked or not g["blocked"]]
