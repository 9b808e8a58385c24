"""Lookups shared by the API methods: resolve koji's "info" arguments, apply queryOpts."""

from __future__ import annotations

from typing import Any

from .errors import GenericError, ParameterError
from .model import OWNER_ID, OWNER_NAME, RECORD_TYPES, Build, Tag, Target
from .store import Store


def resolve_tag(store: Store, info: Any, strict: bool = True) -> Tag | None:
    """A tag by id or name (koji's ``tagInfo``)."""
    if isinstance(info, dict):
        info = info.get("id", info.get("name"))
    if isinstance(info, bool) or not isinstance(info, int | str):
        raise ParameterError(f"Invalid tagInfo: {info!r}")
    tag = (
        store.get("tag", info)
        if isinstance(info, int)
        else store.find_one("tag", lambda t: t.name == info)
    )
    if tag is None and strict:
        raise GenericError(f"No such tagInfo: {info!r}")
    return tag


def resolve_target(store: Store, info: Any, strict: bool = False) -> Target | None:
    if isinstance(info, bool) or not isinstance(info, int | str):
        raise ParameterError(f"Invalid build target info: {info!r}")
    target = (
        store.get("target", info)
        if isinstance(info, int)
        else store.find_one("target", lambda t: t.name == info)
    )
    if target is None and strict:
        raise GenericError(f"No such build target: {info}")
    return target


def resolve_build(store: Store, info: Any, strict: bool = False) -> Build | None:
    """A build by id, ``N-V-R`` string, or dict with ``id``/``build_id`` or N, V, R."""
    build: Build | None = None
    if isinstance(info, bool):
        raise ParameterError(f"Invalid buildInfo: {info!r}")
    if isinstance(info, int):
        build = store.get("build", info)
    elif isinstance(info, str):
        if info.isdigit():
            build = store.get("build", int(info))
        else:
            parts = info.rsplit("-", 2)
            if len(parts) == 3:
                build = store.find_one("build", lambda b: [b.name, b.version, b.release] == parts)
    elif isinstance(info, dict):
        if "id" in info or "build_id" in info:
            build = store.get("build", int(info.get("id", info.get("build_id"))))
        elif {"name", "version", "release"} <= info.keys():
            nvr = [info["name"], info["version"], info["release"]]
            build = store.find_one("build", lambda b: [b.name, b.version, b.release] == nvr)
    else:
        raise ParameterError(f"Invalid buildInfo: {info!r}")
    if build is None and strict:
        raise GenericError(f"No such build: {info!r}")
    return build


def resolve_named(store: Store, kind: str, info: Any, strict: bool = False) -> Any | None:
    """A package, group or user record by id or name (koji's ``lookup_name``)."""
    if isinstance(info, dict):
        info = info.get("id", info.get("name"))
    if isinstance(info, bool) or not isinstance(info, int | str):
        raise ParameterError(f"Invalid name or id value: {info!r}")
    found = (
        store.get(kind, info)
        if isinstance(info, int)
        else store.find_one(kind, lambda r: r.name == info)
    )
    if found is None and strict:
        table = TABLES.get(kind, kind)
        raise GenericError(f"No such entry in table {table}: {info}")
    return found


TABLES = {"group": "groups", "user": "users"}


def named_id(store: Store, kind: str, name: str) -> int:
    """The id of the ``kind`` record called ``name``, created when missing."""
    with store.transaction():
        found = store.find_one(kind, lambda r: r.name == name)
        if found is None:
            found = store.put(RECORD_TYPES[kind](id=store.next_id(kind), name=name))
        return int(found.id)


def owner_id(store: Store, owner: Any) -> int:
    """A package owner: the hub's own user, a known user id, or a user name (created)."""
    if owner in (OWNER_ID, OWNER_NAME):
        return OWNER_ID
    if isinstance(owner, str) and owner:
        return named_id(store, "user", owner)
    user = resolve_named(store, "user", owner)
    if user is None:
        raise GenericError(f"No such user: {owner!r}")
    return int(user.id)


def owner_name(store: Store, user_id: int) -> str:
    if user_id == OWNER_ID:
        return OWNER_NAME
    user = store.get("user", user_id)
    return user.name if user else str(user_id)


def apply_query_opts(
    rows: list[dict[str, Any]], query_opts: dict[str, Any] | None, default_order: str | None = None
) -> list[dict[str, Any]] | int:
    """koji's queryOpts: ``order`` (field, ``-`` for descending), ``offset``, ``limit``,
    ``countOnly``."""
    opts = query_opts or {}
    order = opts.get("order", default_order)
    if order:
        key = order.lstrip("-")
        rows = sorted(
            rows, key=lambda r: (r.get(key) is None, r.get(key)), reverse=order.startswith("-")
        )
    if opts.get("countOnly"):
        return len(rows)
    offset = int(opts.get("offset") or 0)
    limit = opts.get("limit")
    return rows[offset : offset + int(limit)] if limit is not None else rows[offset:]
