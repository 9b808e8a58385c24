"""Checks for the ``data`` sections that streams v1, v2 and packager v3 share.

The differences between versions are passed in as arguments (which keys exist) rather
than hidden in each function, so the per-version modules read like their spec.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from conveyor.modulemd.checks import ARCH_RE, Reasons

# N-E:V-R.A with the epoch mandatory (the stream specs say so for artifacts).
NEVRA_RE = re.compile(
    r"(?P<name>[^\s:]+)-(?P<epoch>[0-9]+):(?P<version>[^\s:-]+)-(?P<release>[^\s:-]+)"
    r"\.(?P<arch>[A-Za-z0-9_]+)"
)
UINT32_MAX = 2**32 - 1


def references(r: Reasons, path: str, value: Any) -> None:
    refs = r.mapping(path, value, allowed=("community", "documentation", "tracker"))
    for key, url in (refs or {}).items():
        if key in ("community", "documentation", "tracker"):
            r.string(f"{path}.{key}", url)


def profiles(r: Reasons, path: str, value: Any, *, with_default: bool = False) -> None:
    """Profile name -> {description, rpms} (v3 adds the boolean ``default``)."""
    allowed = ("description", "rpms", "default") if with_default else ("description", "rpms")
    for name, profile in (r.mapping(path, value) or {}).items():
        where = f"{path}.{name}"
        if not name.strip():
            r.add(path, "a profile name must not be empty")
        body = r.mapping(where, profile, allowed=allowed)
        if body is None:
            continue
        if "description" in body:
            r.string(f"{where}.description", body["description"])
        if "rpms" in body:
            r.strings(f"{where}.rpms", body["rpms"], item="name")
        if "default" in body and with_default:
            r.boolean(f"{where}.default", body["default"])


def rpm_names(r: Reasons, path: str, value: Any) -> None:
    """``api``, ``filter`` and ``demodularized``: ``{rpms: [binary rpm names]}``."""
    section = r.mapping(path, value, allowed=("rpms",))
    if section and "rpms" in section:
        r.strings(f"{path}.rpms", section["rpms"], item="name")


def buildopts(
    r: Reasons, path: str, value: Any, *, whitelist: bool, arches: bool
) -> tuple[str, ...] | None:
    """Module-wide build options; returns ``arches`` when given (components must fit in)."""
    allowed = ("rpms", "arches") if arches else ("rpms",)
    opts = r.mapping(path, value, allowed=allowed)
    if opts is None:
        return None
    if "rpms" in opts:
        rpm_keys = ("macros", "whitelist") if whitelist else ("macros",)
        rpms = r.mapping(f"{path}.rpms", opts["rpms"], allowed=rpm_keys)
        if rpms and "macros" in rpms and not isinstance(rpms["macros"], str):
            # Macros may legitimately be blank lines only, so no emptiness check.
            r.add(f"{path}.rpms.macros", "must be a string (one macro definition per line)")
        if rpms and "whitelist" in rpms and whitelist:
            r.strings(f"{path}.rpms.whitelist", rpms["whitelist"], item="name")
    if arches and "arches" in opts:
        return r.strings(f"{path}.arches", opts["arches"], item="arch")
    return None


def licenses(r: Reasons, path: str, value: Any) -> tuple[str, ...] | None:
    """Stream ``license``: ``module`` is mandatory and non-empty, ``content`` optional."""
    section = r.mapping(path, value, allowed=("module", "content"), required=("module",))
    if section is None:
        return None
    if "content" in section:
        r.strings(f"{path}.content", section["content"])
    if "module" not in section:
        return None
    return r.strings(f"{path}.module", section["module"], allow_empty_list=False)


def servicelevels(r: Reasons, path: str, value: Any) -> dict[str, datetime.date | None] | None:
    levels: dict[str, datetime.date | None] = {}
    for name, level in (r.mapping(path, value) or {}).items():
        body = r.mapping(f"{path}.{name}", level, allowed=("eol",))
        if body is None:
            continue
        levels[name] = r.date(f"{path}.{name}.eol", body["eol"]) if "eol" in body else None
    return levels


def artifacts(r: Reasons, path: str, value: Any, *, rpm_map: bool) -> None:
    allowed = ("rpms", "rpm-map") if rpm_map else ("rpms",)
    section = r.mapping(path, value, allowed=allowed)
    if section is None:
        return
    nevras: tuple[str, ...] = ()
    if "rpms" in section:
        nevras = r.strings(f"{path}.rpms", section["rpms"]) or ()
        for index, nevra in enumerate(nevras):
            if not NEVRA_RE.fullmatch(nevra):
                r.add(
                    f"{path}.rpms[{index}]",
                    f"{nevra!r} is not name-epoch:version-release.arch (the epoch is mandatory)",
                )
    if rpm_map and "rpm-map" in section:
        _rpm_map(r, f"{path}.rpm-map", section["rpm-map"], set(nevras))


def _rpm_map(r: Reasons, path: str, value: Any, nevras: set[str]) -> None:
    """digest type -> checksum -> the rpm's fields, which must agree with its nevra."""
    for digest, checksums in (r.mapping(path, value) or {}).items():
        for checksum, entry in (r.mapping(f"{path}.{digest}", checksums) or {}).items():
            _rpm_map_entry(r, f"{path}.{digest}.{checksum}", entry, nevras)


def _rpm_map_entry(r: Reasons, where: str, entry: Any, nevras: set[str]) -> None:
    texts = ("name", "version", "release", "arch", "nevra")
    body = r.mapping(where, entry, allowed=(*texts, "epoch"), required=texts)
    if body is None:
        return
    parts = {key: r.string(f"{where}.{key}", body[key]) for key in texts if key in body}
    epoch = r.integer(f"{where}.epoch", body["epoch"], 0, UINT32_MAX) if "epoch" in body else 0
    arch = parts.get("arch")
    if arch is not None and not ARCH_RE.fullmatch(arch):
        r.add(f"{where}.arch", f"{arch!r} is not a valid architecture")
    nevra = parts.get("nevra")
    if nevra is None:
        return
    if epoch is not None and all(parts.get(key) is not None for key in texts):
        expected = f"{parts['name']}-{epoch}:{parts['version']}-{parts['release']}.{arch}"
        if nevra != expected:
            r.add(f"{where}.nevra", f"{nevra!r} does not match its fields ({expected!r})")
    if nevra not in nevras:
        r.add(f"{where}.nevra", f"{nevra!r} is not listed in data.artifacts.rpms")
