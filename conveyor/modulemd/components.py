"""``data.components``: rpm and module components, and the build order they imply."""

from __future__ import annotations

from typing import Any

from conveyor.modulemd.checks import INT64_MAX, INT64_MIN, Reasons
from conveyor.modulemd.model import RpmComponent

RPM_KEYS_V1 = ("rationale", "repository", "cache", "ref", "arches", "multilib", "buildorder")
# v2 and packager v3 add bootstrapping (name), buildafter and the buildroot flags.
RPM_KEYS_V2 = (*RPM_KEYS_V1, "name", "buildafter", "buildonly", "buildroot", "srpm-buildroot")
MODULE_KEYS = ("rationale", "repository", "ref", "buildorder")


def components(
    r: Reasons,
    path: str,
    value: Any,
    *,
    v2_keys: bool,
    module_arches: tuple[str, ...] | None,
) -> tuple[tuple[RpmComponent, ...], tuple[str, ...]]:
    """The rpm components (ordered into buildorder numbers) and the module components' names."""
    section = r.mapping(path, value, allowed=("rpms", "modules"))
    if section is None:
        return (), ()
    rpms, explicit = _rpms(r, f"{path}.rpms", section.get("rpms", {}), v2_keys, module_arches)
    modules = _modules(r, f"{path}.modules", section.get("modules", {}))
    ordered_by = explicit | {name for name, has_order in modules.items() if has_order}
    waiting = sorted(c.name for c in rpms if c.buildafter)
    if waiting and ordered_by:
        r.add(
            path,
            f"buildorder (used by {', '.join(sorted(ordered_by))}) and buildafter (used by "
            f"{', '.join(waiting)}) must not be mixed in one document; use one or the other",
        )
    elif waiting:
        rpms = _order_by_buildafter(r, f"{path}.rpms", rpms)
    return tuple(rpms), tuple(modules)


def _rpms(
    r: Reasons,
    path: str,
    value: Any,
    v2_keys: bool,
    module_arches: tuple[str, ...] | None,
) -> tuple[list[RpmComponent], set[str]]:
    """The components, and the names of those that set ``buildorder`` explicitly."""
    allowed = RPM_KEYS_V2 if v2_keys else RPM_KEYS_V1
    result: list[RpmComponent] = []
    explicit: set[str] = set()
    entries = r.mapping(path, value) or {}
    for key, entry in entries.items():
        where = f"{path}.{key}"
        r.name(where, key, "component name (an rpm package name)")
        body = r.mapping(where, entry, allowed=allowed, required=("rationale",))
        if body is None:
            continue
        got = {
            k: r.string(f"{where}.{k}", body[k])
            for k in ("rationale", "repository", "cache", "ref")
            if k in body
        }
        if "name" in body and v2_keys:
            r.name(f"{where}.name", body["name"], "rpm package name")
        arches: tuple[str, ...] = ()
        for field in ("arches", "multilib"):
            if field in body:
                listed = r.strings(f"{where}.{field}", body[field], item="arch") or ()
                outside = [
                    a for a in listed if module_arches is not None and a not in module_arches
                ]
                if outside:
                    r.add(
                        f"{where}.{field}",
                        f"{', '.join(outside)} not in data.buildopts.arches; "
                        "a component can only narrow the module's architectures",
                    )
                if field == "arches":
                    arches = listed
        for flag in ("buildonly", "buildroot", "srpm-buildroot"):
            if flag in body and v2_keys:
                r.boolean(f"{where}.{flag}", body[flag])
        order = 0
        if "buildorder" in body:
            explicit.add(key)
            order = r.integer(f"{where}.buildorder", body["buildorder"], INT64_MIN, INT64_MAX) or 0
        after: tuple[str, ...] = ()
        if "buildafter" in body and v2_keys:
            after = r.strings(f"{where}.buildafter", body["buildafter"], item="name") or ()
            for other in after:
                if other == key:
                    r.add(f"{where}.buildafter", "a component cannot build after itself")
                elif other not in entries:
                    r.add(f"{where}.buildafter", f"{other!r} is not a key of {path}")
        result.append(
            RpmComponent(
                name=key,
                ref=got.get("ref"),
                buildorder=order,
                rationale=got.get("rationale") or "",
                repository=got.get("repository"),
                arches=arches,
                buildafter=after,
            )
        )
    return result, explicit


def _modules(r: Reasons, path: str, value: Any) -> dict[str, bool]:
    """Module component name -> whether it sets an explicit buildorder."""
    found: dict[str, bool] = {}
    for key, entry in (r.mapping(path, value) or {}).items():
        where = f"{path}.{key}"
        r.name(where, key, "module name")
        body = r.mapping(where, entry, allowed=MODULE_KEYS, required=("rationale",))
        if body is None:
            found[key] = False
            continue
        for field in ("rationale", "repository", "ref"):
            if field in body:
                r.string(f"{where}.{field}", body[field])
        if "buildorder" in body:
            r.integer(f"{where}.buildorder", body["buildorder"], INT64_MIN, INT64_MAX)
        found[key] = "buildorder" in body
    return found


def _order_by_buildafter(r: Reasons, path: str, rpms: list[RpmComponent]) -> list[RpmComponent]:
    """Turn buildafter edges into batch numbers: one more than the latest prerequisite.

    Kahn's algorithm rather than recursion, so a long chain cannot exhaust the stack. A
    cycle is reported once, with its members, and leaves the components unordered.
    """
    by_name = {c.name: c for c in rpms}
    # Unknown names were already reported by _rpms; they add no edge here.
    needs = {c.name: {o for o in c.buildafter if o in by_name and o != c.name} for c in rpms}
    dependents: dict[str, list[str]] = {name: [] for name in by_name}
    for name, prerequisites in needs.items():
        for other in prerequisites:
            dependents[other].append(name)
    pending = {name: len(prerequisites) for name, prerequisites in needs.items()}
    level = {name: 0 for name, count in pending.items() if count == 0}
    ready = sorted(level)
    while ready:
        done = ready.pop()
        for name in dependents[done]:
            level[name] = max(level.get(name, 0), level[done] + 1)
            pending[name] -= 1
            if pending[name] == 0:
                ready.append(name)
    stuck = sorted(name for name, count in pending.items() if count)
    if stuck:
        # Every stuck component waits for another stuck one, so walking those edges loops.
        walk = [stuck[0]]
        while True:
            step = min(o for o in needs[walk[-1]] if pending[o])
            if step in walk:
                cycle = [*walk[walk.index(step) :], step]
                break
            walk.append(step)
        r.add(path, f"buildafter forms a cycle: {' -> '.join(cycle)}")
        return rpms
    return [
        RpmComponent(
            c.name, c.ref, level[c.name], c.rationale, c.repository, c.arches, c.buildafter
        )
        for c in rpms
    ]
