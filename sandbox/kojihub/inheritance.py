"""Tag inheritance as koji's hub models it: prioritized parent links, walked depth-first.

A tag has any number of parent links (``Inheritance`` records), each with a
priority (lower first), an optional ``maxdepth``, ``intransitive`` (followed
only from the tag asked about), ``noconfig`` (the parent's arches and extra are
not inherited) and ``pkg_filter`` (a regex the inherited package names must
match). The full inheritance is the depth-first walk of those links; loops are
pruned, and a tag reached again is only revisited when the new path could
reach further.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .errors import GenericError, ParameterError
from .model import Inheritance, Tag
from .queries import resolve_tag
from .store import Store

LINK_FIELDS = ("parent_id", "priority", "maxdepth", "intransitive", "noconfig", "pkg_filter")


def links_of(store: Store, tag_id: int) -> list[Inheritance]:
    links: list[Inheritance] = store.find("inheritance", lambda x: x.tag_id == tag_id)
    return sorted(links, key=lambda x: x.priority)


def _row(link: Inheritance, name: str) -> dict[str, Any]:
    return {
        "parent_id": link.parent_id,
        "name": name,
        "priority": link.priority,
        "maxdepth": link.maxdepth,
        "intransitive": link.intransitive,
        "noconfig": link.noconfig,
        "pkg_filter": link.pkg_filter,
    }


def _tag_name(store: Store, tag_id: int) -> str:
    tag: Tag | None = store.get("tag", tag_id)
    return tag.name if tag else str(tag_id)


def inheritance_rows(store: Store, tag_id: int) -> list[dict[str, Any]]:
    """``getInheritanceData``: the tag's parent links, by priority, with ``child_id``."""
    return [
        {**_row(x, _tag_name(store, x.parent_id)), "child_id": tag_id}
        for x in links_of(store, tag_id)
    ]


def descendant_rows(store: Store, tag_id: int) -> list[dict[str, Any]]:
    """The links that name ``tag_id`` as parent (``name`` is the child's)."""
    links: list[Inheritance] = store.find("inheritance", lambda x: x.parent_id == tag_id)
    links.sort(key=lambda x: x.priority)
    return [{**_row(x, _tag_name(store, x.tag_id)), "tag_id": x.tag_id} for x in links]


def full_inheritance(store: Store, tag_id: int, reverse: bool = False) -> list[dict[str, Any]]:
    """``getFullInheritance``: every link reached from ``tag_id``, in walk order."""
    order: list[dict[str, Any]] = []
    history: dict[int, list[dict[str, Any]]] = {}

    def enough(previous: dict[str, Any], entry: dict[str, Any]) -> bool:
        """Does an earlier visit of the same tag already cover this one?"""
        before, now = previous["nextdepth"], entry["nextdepth"]
        reaches = before is None or (now is not None and before >= now)
        return (
            reaches
            and not (previous["noconfig"] and not entry["noconfig"])
            and (not previous["filter"])
        )

    def walk(
        current: int, depth_left: int | None, path: frozenset[int], depth: int, filters: list[str]
    ) -> None:
        if depth_left is not None and depth_left < 1:
            return
        depth += 1
        path = path | {current}
        rows = descendant_rows(store, current) if reverse else inheritance_rows(store, current)
        for row in rows:
            other = row["tag_id"] if reverse else row["parent_id"]
            if other in path:
                continue  # an inheritance loop: pruned
            if row["intransitive"] and len(path) > 1 and not reverse:
                continue  # intransitive links count only from the tag asked about
            if reverse:
                if row["maxdepth"] is not None and row["maxdepth"] < depth - 1:
                    continue
                next_depth = None
            else:
                next_depth = row["maxdepth"]
                if depth_left is not None:
                    next_depth = (
                        depth_left - 1 if next_depth is None else min(next_depth, depth_left) - 1
                    )
            entry = dict(row, nextdepth=next_depth, currdepth=depth)
            entry["filter"] = [*filters, row["pkg_filter"]] if row["pkg_filter"] else list(filters)
            if reverse:
                entry["child_id"] = current
            if any(enough(previous, entry) for previous in history.get(other, [])):
                continue
            history.setdefault(other, []).append(entry)
            order.append(entry)
            if reverse and row["intransitive"]:
                continue
            walk(other, next_depth, path, depth, entry["filter"])

    walk(tag_id, None, frozenset(), 0, [])
    return order


def ancestors(store: Store, tag: Tag) -> list[Tag]:
    """The tag, then every tag it inherits from, in inheritance order (no repeats)."""
    found = [tag]
    seen = {tag.id}
    for link in full_inheritance(store, tag.id):
        parent: Tag | None = store.get("tag", link["parent_id"])
        if parent is not None and parent.id not in seen:
            seen.add(parent.id)
            found.append(parent)
    return found


def inherited_entries(
    store: Store, tag_id: int, entries_of: Any, key: Any, name_of: Any
) -> Iterator[tuple[Any, dict[str, Any] | None]]:
    """Entries of the tag, then of its ancestors whose key was not seen yet and whose
    name passes the link's package filters. Yields ``(entry, link)`` (link None: own)."""
    seen: set[Any] = set()
    for entry in entries_of(tag_id):
        seen.add(key(entry))
        yield entry, None
    for link in full_inheritance(store, tag_id):
        patterns = [_compile(p) for p in link["filter"]]
        for entry in entries_of(link["parent_id"]):
            if key(entry) in seen or not all(p.match(name_of(entry)) for p in patterns):
                continue
            seen.add(key(entry))
            yield entry, link


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise GenericError(f"Invalid pkg_filter {pattern!r}: {exc}") from None


def build_config(store: Store, tag: Tag) -> dict[str, Any]:
    """``getBuildConfig``: arches and extra, inherited over links without ``noconfig``."""
    arches = tag.arches
    origin: dict[str, Any] = {"extra": {}, "arches": None}
    extra: dict[str, tuple[bool, Any]] = {k: (False, v) for k, v in tag.extra.items()}
    extra.update({k: (True, None) for k in tag.blocked_extra})
    for link in full_inheritance(store, tag.id):
        parent: Tag | None = store.get("tag", link["parent_id"])
        if link["noconfig"] or parent is None:
            continue
        if arches is None and parent.arches is not None:
            arches = parent.arches
            origin["arches"] = {"id": parent.id, "name": parent.name}
        values = {k: (False, v) for k, v in parent.extra.items()}
        values.update({k: (True, None) for k in parent.blocked_extra})
        for key, value in values.items():
            if key not in extra:
                extra[key] = value
                origin["extra"][key] = {"id": parent.id, "name": parent.name}
    return {
        "arches": arches,
        "extra": {k: v for k, (blocked, v) in extra.items() if not blocked},
        "config_inheritance": origin,
    }


def write_inheritance(store: Store, tag_id: int, changes: Any, clear: bool = False) -> None:
    """``setInheritanceData``: add, change or (``"delete link": True``) remove parent links;
    ``clear`` drops every link not named. Priorities must stay unique."""
    if isinstance(changes, dict):
        changes = [changes]
    if not isinstance(changes, list) or not all(isinstance(c, dict) for c in changes):
        raise ParameterError(f"Invalid inheritance data: {changes!r}")
    with store.transaction():
        wanted: dict[int, dict[str, Any] | None] = {}
        for change in changes:
            for name in ("parent_id",) if change.get("delete link") else LINK_FIELDS:
                if name not in change:
                    raise GenericError(f"No value for {name}")
            parent = resolve_tag(store, change["parent_id"])
            assert parent is not None
            if parent.id in wanted:
                raise GenericError(
                    f"Changes should not contain duplicated parent_id({change['parent_id']})"
                )
            wanted[parent.id] = None if change.get("delete link") else _checked(change, parent.id)
        current = {x.parent_id: x for x in links_of(store, tag_id)}
        updates: dict[int, dict[str, Any] | None] = {}
        for parent_id, link in wanted.items():
            old = current.get(parent_id)
            if link is None:
                if old is not None:
                    updates[parent_id] = None
            elif old is None or clear or any(getattr(old, f) != link[f] for f in LINK_FIELDS):
                updates[parent_id] = link
        if clear:
            updates.update({p: None for p in current if p not in wanted})
        if not updates:
            return
        result = {p: {"priority": x.priority} for p, x in current.items()}
        result.update(updates)  # type: ignore[arg-type]
        by_priority: dict[int, list[int]] = {}
        for parent_id, link in result.items():
            if link is not None:
                by_priority.setdefault(link["priority"], []).append(parent_id)
        for priority, parents in by_priority.items():
            if len(parents) > 1:
                raise GenericError(
                    f"Multiple parent tags ({parents!r}) cannot have the same priority value "
                    f"({priority}) on child tag {tag_id}"
                )
        for parent_id, link in updates.items():
            if parent_id in current:
                store.delete("inheritance", current[parent_id].id)
            if link is not None:
                store.put(Inheritance(id=store.next_id("inheritance"), tag_id=tag_id, **link))


def _checked(change: dict[str, Any], parent_id: int) -> dict[str, Any]:
    priority, maxdepth = change["priority"], change["maxdepth"]
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise ParameterError(f"Invalid priority: {priority!r}")
    if maxdepth is not None and (isinstance(maxdepth, bool) or not isinstance(maxdepth, int)):
        raise ParameterError(f"Invalid maxdepth: {maxdepth!r}")
    pkg_filter = change["pkg_filter"] or ""
    if not isinstance(pkg_filter, str):
        raise ParameterError(f"Invalid pkg_filter: {pkg_filter!r}")
    if pkg_filter:
        _compile(pkg_filter)
    return {
        "parent_id": parent_id,
        "priority": priority,
        "maxdepth": maxdepth,
        "intransitive": bool(change["intransitive"]),
        "noconfig": bool(change["noconfig"]),
        "pkg_filter": pkg_filter,
    }
