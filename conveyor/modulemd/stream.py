"""Module stream documents, ``document: modulemd`` version 1 and version 2."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from conveyor.modulemd import sections
from conveyor.modulemd.checks import ARCH_RE, CONTEXT_RE, STREAM_RE, Reasons
from conveyor.modulemd.components import components
from conveyor.modulemd.model import Dependencies, RpmComponent

_COMMON_KEYS = (
    "name", "stream", "version", "context", "arch", "summary", "description",
    "servicelevels", "license", "xmd", "dependencies", "references", "profiles",
    "api", "filter", "buildopts", "components", "artifacts",
)  # fmt: skip
DATA_KEYS = {
    1: (*_COMMON_KEYS, "eol"),
    # v2 drops the obsolete eol (servicelevels replace it) and adds these two.
    2: (*_COMMON_KEYS, "static_context", "demodularized"),
}


@dataclass
class Draft:
    """What a stream-like document says; name and stream may still be missing (dist-git)."""

    mdversion: int
    name: str | None = None
    stream: str | None = None
    version: int | None = None
    context: str | None = None
    summary: str = ""
    description: str = ""
    module_licenses: tuple[str, ...] = ()
    eol: datetime.date | None = None
    servicelevels: dict[str, datetime.date | None] = field(default_factory=dict)
    dependencies: tuple[Dependencies, ...] = ()
    components: tuple[RpmComponent, ...] = ()
    module_components: tuple[str, ...] = ()


def check_stream(r: Reasons, data: Any, mdversion: int) -> Draft:
    """Validate ``data`` of a stream v1/v2 document, recording every problem in ``r``."""
    draft = Draft(mdversion)
    body = r.mapping(
        "data", data, allowed=DATA_KEYS[mdversion], required=("summary", "description", "license")
    )
    if body is None:
        return draft
    check_identity(r, body, draft)
    if "version" in body:
        draft.version = r.unsigned("data.version", body["version"])
    if "static_context" in body and mdversion == 2:
        static = r.boolean("data.static_context", body["static_context"])
        if static and "context" not in body:
            r.add("data.context", "missing (mandatory when static_context is true)")
    if "context" in body:
        draft.context = r.matching(
            "data.context", body["context"], CONTEXT_RE, "context (1-13 of A-Z a-z 0-9 _)"
        )
    if "arch" in body:
        r.matching("data.arch", body["arch"], ARCH_RE, "architecture")
    if "license" in body:
        draft.module_licenses = sections.licenses(r, "data.license", body["license"]) or ()
    if "eol" in body and mdversion == 1:
        draft.eol = r.date("data.eol", body["eol"])
    if "servicelevels" in body:
        levels = sections.servicelevels(r, "data.servicelevels", body["servicelevels"])
        draft.servicelevels = levels or {}
    if "xmd" in body:
        r.mapping("data.xmd", body["xmd"])  # free-form by definition: only its shape
    if "dependencies" in body:
        check = _dependencies_v1 if mdversion == 1 else _dependencies_v2
        draft.dependencies = check(r, "data.dependencies", body["dependencies"])
    check_common_sections(r, body, mdversion)
    module_arches = None
    if "buildopts" in body:
        module_arches = sections.buildopts(
            r, "data.buildopts", body["buildopts"], whitelist=mdversion > 1, arches=mdversion > 1
        )
    if "components" in body:
        draft.components, draft.module_components = components(
            r, "data.components", body["components"],
            v2_keys=mdversion > 1, module_arches=module_arches,
        )  # fmt: skip
    if "artifacts" in body:
        sections.artifacts(r, "data.artifacts", body["artifacts"], rpm_map=mdversion > 1)
    return draft


def check_identity(r: Reasons, body: dict, draft: Draft) -> None:
    """name, stream, summary and description: the fields every stream-like format shares."""
    if "name" in body:
        draft.name = r.name("data.name", body["name"], "module name")
    if "stream" in body:
        draft.stream = r.stream("data.stream", body["stream"])
    for key in ("summary", "description"):
        if key in body:
            setattr(draft, key, r.string(f"data.{key}", body[key]) or "")


def check_common_sections(r: Reasons, body: dict, mdversion: int) -> None:
    if "references" in body:
        sections.references(r, "data.references", body["references"])
    if "profiles" in body:
        sections.profiles(r, "data.profiles", body["profiles"], with_default=mdversion == 3)
    for key in ("api", "filter", "demodularized"):
        if key in body and (key != "demodularized" or mdversion > 1):
            sections.rpm_names(r, f"data.{key}", body[key])


def _dependencies_v1(r: Reasons, path: str, value: Any) -> tuple[Dependencies, ...]:
    """v1: one block of module -> single stream; returned as one v2-shaped block."""
    block = r.mapping(path, value, allowed=("buildrequires", "requires"))
    if block is None:
        return ()
    found: dict[str, dict[str, tuple[str, ...]]] = {"buildrequires": {}, "requires": {}}
    for kind, result in found.items():
        for module, stream in (r.mapping(f"{path}.{kind}", block.get(kind, {})) or {}).items():
            r.name(f"{path}.{kind}.{module}", module, "module name")
            checked = r.stream(f"{path}.{kind}.{module}", stream)
            if checked is not None:
                result[module] = (checked,)
    return (Dependencies(found["buildrequires"], found["requires"]),)


def _dependencies_v2(r: Reasons, path: str, value: Any) -> tuple[Dependencies, ...]:
    """v2: a list of alternative blocks of module -> streams ("-x" excludes x, [] any)."""
    if not isinstance(value, list):
        r.add(path, "must be a list of dependency blocks (buildrequires/requires)")
        return ()
    blocks: list[Dependencies] = []
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        block = r.mapping(where, item, allowed=("buildrequires", "requires"))
        if block is None:
            continue
        found: dict[str, dict[str, tuple[str, ...]]] = {"buildrequires": {}, "requires": {}}
        for kind, result in found.items():
            for module, streams in (
                r.mapping(f"{where}.{kind}", block.get(kind, {})) or {}
            ).items():
                r.name(f"{where}.{kind}.{module}", module, "module name")
                checked = v2_streams(r, f"{where}.{kind}.{module}", streams)
                if checked is not None:
                    result[module] = checked
        blocks.append(Dependencies(found["buildrequires"], found["requires"]))
    return tuple(blocks)


def v2_streams(r: Reasons, path: str, value: Any) -> tuple[str, ...] | None:
    """A v2 stream list: all required streams or all excluded ("-name") ones, never both."""
    listed = r.strings(path, value)
    if listed is None:
        return None
    for index, stream in enumerate(listed):
        bare = stream[1:] if stream.startswith("-") else stream
        if not STREAM_RE.fullmatch(bare):
            r.add(f"{path}[{index}]", f"{stream!r} is not a valid stream name")
            return None
    excluded = [s for s in listed if s.startswith("-")]
    if excluded and len(excluded) != len(listed):
        r.add(
            path,
            "mixes required and excluded ('-') streams; list either the streams to use "
            "or the streams to avoid",
        )
        return None
    return listed
