"""The koji API methods for tag package lists (which packages a tag may hold, and owners).

Deviation from koji, on purpose: the sandbox's preconfigured tags have no package
lists, so a tag whose package list (inheritance included) is empty accepts every
package. Once a tag lists packages, builds and tagging of unlisted or blocked
packages are refused as koji refuses them, and blocked packages are hidden from
``listTagged``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .api_tags import parse_arches
from .errors import GenericError
from .inheritance import inherited_entries
from .model import OWNER_ID, Tag, TagPackage
from .queries import (
    apply_query_opts,
    named_id,
    owner_id,
    owner_name,
    resolve_named,
    resolve_tag,
)

if TYPE_CHECKING:
    from .store import Store


def _package_name(store: Store, package_id: int) -> str:
    package = store.get("package", package_id)
    return package.name if package else str(package_id)


def package_entries(store: Store, tag_id: int, inherit: bool = True) -> dict[int, TagPackage]:
    """package id -> the entry that rules it in the tag (its own, else the nearest parent's)."""

    def own(tid: int) -> list[TagPackage]:
        return store.find("tag_package", lambda e: e.tag_id == tid)

    if not inherit:
        return {e.package_id: e for e in own(tag_id)}
    return {
        entry.package_id: entry
        for entry, _link in inherited_entries(
            store, tag_id, own, lambda e: e.package_id, lambda e: _package_name(store, e.package_id)
        )
    }


def package_problem(store: Store, tag_id: int, package_id: int) -> str | None:
    """``"missing"`` or ``"blocked"`` when the tag's package list refuses the package."""
    entries = package_entries(store, tag_id)
    if not entries:
        return None  # a tag without any package list accepts everything (sandbox leniency)
    entry = entries.get(package_id)
    if entry is None:
        return "missing"
    return "blocked" if entry.blocked else None


def package_row(store: Store, entry: TagPackage, with_owners: bool = True) -> dict[str, Any]:
    tag: Tag | None = store.get("tag", entry.tag_id)
    row: dict[str, Any] = {
        "package_id": entry.package_id,
        "package_name": _package_name(store, entry.package_id),
        "tag_id": entry.tag_id,
        "tag_name": tag.name if tag else None,
        "extra_arches": entry.extra_arches,
        "blocked": entry.blocked,
    }
    if with_owners:
        row.update(owner_id=entry.owner_id, owner_name=owner_name(store, entry.owner_id))
    return row


class PackageMethods:
    METHODS = (
        "packageListAdd",
        "packageListRemove",
        "packageListBlock",
        "listPackages",
        "checkTagPackage",
        "getPackageConfig",
    )
    store: Store

    def packageListAdd(
        self,
        taginfo: Any,
        pkginfo: Any,
        owner: Any = None,
        block: bool | None = None,
        extra_arches: str | None = None,
        force: bool = False,
        update: bool = False,
    ) -> None:
        """Add the package to the tag's list (or change its owner, block, extra_arches);
        a package already listed the same way, possibly through inheritance, is left alone."""
        with self.store.transaction() as store:
            tag = resolve_tag(store, taginfo, strict=True)
            assert tag is not None
            package = resolve_named(store, "package", pkginfo)
            if package is None and not isinstance(pkginfo, str):
                raise GenericError(f"No such package: {pkginfo}")
            name = package.name if package else str(pkginfo)
            owner_ref = owner_id(store, owner) if owner is not None else None
            arches = parse_arches(extra_arches)
            previous = package_entries(store, tag.id).get(package.id) if package else None
            if previous is None:
                blocked = bool(block)
                if update and not force:
                    raise GenericError(
                        f"cannot update: tag {tag.name} has no data for package {name}"
                    )
            else:
                owner_ref = previous.owner_id if owner_ref is None else owner_ref
                blocked = previous.blocked if block is None else bool(block)
                arches = previous.extra_arches if arches is None else arches
                changed = (previous.blocked, previous.extra_arches) != (blocked, arches)
                if not changed and previous.owner_id == owner_ref and not force:
                    return
                if previous.blocked and not blocked and not force:
                    raise GenericError(f"package {name} is blocked in tag {tag.name}")
            if owner_ref is None:
                if not force:
                    raise GenericError("owner not specified")
                owner_ref = OWNER_ID
            package_id = package.id if package else named_id(store, "package", name)
            own = package_entries(store, tag.id, inherit=False).get(package_id)
            store.put(
                TagPackage(
                    id=own.id if own else store.next_id("tag_package"),
                    tag_id=tag.id,
                    package_id=package_id,
                    owner_id=owner_ref,
                    blocked=blocked,
                    extra_arches=arches,
                )
            )

    def packageListRemove(self, taginfo: Any, pkginfo: Any, force: bool = False) -> None:
        """Drop the tag's own entry (an inherited one then rules again)."""
        with self.store.transaction() as store:
            tag = resolve_tag(store, taginfo, strict=True)
            package = resolve_named(store, "package", pkginfo, strict=True)
            assert tag is not None and package is not None
            own = package_entries(store, tag.id, inherit=False).get(package.id)
            if own is not None:
                store.delete("tag_package", own.id)

    def packageListBlock(self, taginfo: Any, pkginfo: Any, force: bool = False) -> None:
        tag = resolve_tag(self.store, taginfo, strict=True)
        package = resolve_named(self.store, "package", pkginfo, strict=True)
        assert tag is not None and package is not None
        if package.id not in package_entries(self.store, tag.id):
            raise GenericError(f"Package {package.name} is not in tag listing for {tag.name}")
        self.packageListAdd(tag.id, package.id, block=True, force=force)

    def listPackages(
        self,
        tagID: Any = None,
        userID: Any = None,
        pkgID: Any = None,
        prefix: str | None = None,
        inherited: bool = False,
        with_dups: bool = False,
        event: Any = None,
        queryOpts: dict[str, Any] | None = None,
        with_owners: bool = True,
        with_blocked: bool = True,
    ) -> list[dict[str, Any]] | int:
        if userID is not None and not with_owners:
            raise GenericError("userID and with_owners=False can't be used together")
        store = self.store
        if tagID is None and userID is None and pkgID is None:
            rows = [{"package_id": p.id, "package_name": p.name} for p in store.find("package")]
        else:
            tag = resolve_tag(store, tagID, strict=True) if tagID is not None else None
            user = None
            if userID is not None:
                user = owner_id(store, userID) if isinstance(userID, str) else userID
                if resolve_named(store, "user", user) is None and user != OWNER_ID:
                    raise GenericError(f"No such user: {userID!r}")
            package = resolve_named(store, "package", pkgID, strict=True) if pkgID else None
            entries: list[TagPackage] = (
                list(package_entries(store, tag.id, inherit=bool(inherited)).values())
                if tag is not None
                else store.find("tag_package")
            )
            rows = [
                package_row(store, e, with_owners)
                for e in entries
                if (user is None or e.owner_id == user)
                and (package is None or e.package_id == package.id)
                and (with_blocked or not e.blocked)
            ]
        if prefix:
            rows = [r for r in rows if r["package_name"].lower().startswith(prefix.lower())]
        return apply_query_opts(rows, queryOpts, default_order="package_name")

    def checkTagPackage(self, tag: Any, pkg: Any) -> bool:
        """Is the package listed (and not blocked) in the tag, inheritance included?"""
        found = resolve_tag(self.store, tag, strict=False)
        package = resolve_named(self.store, "package", pkg)
        if found is None or package is None:
            return False
        entry = package_entries(self.store, found.id).get(package.id)
        return entry is not None and not entry.blocked

    def getPackageConfig(self, tag: Any, pkg: Any, event: Any = None) -> dict[str, Any] | None:
        found = resolve_tag(self.store, tag, strict=False)
        package = resolve_named(self.store, "package", pkg)
        if found is None or package is None:
            return None
        entry = package_entries(self.store, found.id).get(package.id)
        return None if entry is None else package_row(self.store, entry)
