"""Packager input, ``document: modulemd-packager`` version 3.

It is what a packager writes in dist-git; the build system expands each configuration
into a stream. Seen as a ``ModuleStream`` it has one dependency block per configuration,
with the configuration's platform added to both buildrequires and requires (that is the
dependency every built stream gets).
"""

from __future__ import annotations

import re
from typing import Any

from conveyor.modulemd import sections
from conveyor.modulemd.checks import Reasons
from conveyor.modulemd.components import components
from conveyor.modulemd.model import Dependencies
from conveyor.modulemd.stream import Draft, check_common_sections, check_identity

DATA_KEYS = (
    "name", "stream", "summary", "description", "license", "xmd", "configurations",
    "references", "profiles", "api", "filter", "demodularized", "components",
)  # fmt: skip
CONFIGURATION_KEYS = ("context", "platform", "buildrequires", "requires", "buildopts")
# The v3 spec: "A string of up to ten [a-zA-Z0-9] characters".
V3_CONTEXT_RE = re.compile(r"[A-Za-z0-9]{1,10}")
DEFAULT_LICENSE = ("MIT",)  # what the spec says applies when license is left out


def check_packager(r: Reasons, data: Any) -> Draft:
    draft = Draft(3)
    body = r.mapping(
        "data", data, allowed=DATA_KEYS, required=("summary", "description", "configurations")
    )
    if body is None:
        return draft
    check_identity(r, body, draft)
    draft.module_licenses = DEFAULT_LICENSE
    if "license" in body:
        draft.module_licenses = (
            r.strings("data.license", body["license"], allow_empty_list=False) or ()
        )
    if "xmd" in body:
        r.mapping("data.xmd", body["xmd"])
    module_arches: tuple[str, ...] | None = None
    if "configurations" in body:
        draft.dependencies, module_arches = _configurations(
            r, "data.configurations", body["configurations"]
        )
    check_common_sections(r, body, 3)
    if "components" in body:
        draft.components, draft.module_components = components(
            r, "data.components", body["components"],
            v2_keys=True, module_arches=module_arches,
        )  # fmt: skip
    return draft


def _configurations(
    r: Reasons, path: str, value: Any
) -> tuple[tuple[Dependencies, ...], tuple[str, ...] | None]:
    """One dependency block per configuration, and the first configuration's arches.

    Only the first configuration's buildopts apply when the build system emits v2
    streams (the spec's warning), so component arches are checked against those.
    """
    if not isinstance(value, list) or not value:
        r.add(path, "must be a non-empty list of build configurations")
        return (), None
    blocks: list[Dependencies] = []
    contexts: set[str] = set()
    first_arches: tuple[str, ...] | None = None
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        body = r.mapping(where, item, allowed=CONFIGURATION_KEYS, required=("context", "platform"))
        if body is None:
            continue
        if "context" in body:
            context = r.matching(
                f"{where}.context", body["context"], V3_CONTEXT_RE, "context (1-10 of A-Z a-z 0-9)"
            )
            if context in contexts:
                r.add(f"{where}.context", f"{context!r} is used by another configuration")
            contexts.add(context or "")
        platform = r.stream(f"{where}.platform", body["platform"]) if "platform" in body else None
        found: dict[str, dict[str, tuple[str, ...]]] = {"buildrequires": {}, "requires": {}}
        for kind, result in found.items():
            for module, streams in (r.mapping(f"{where}.{kind}", body.get(kind, {})) or {}).items():
                result_stream = _single_stream(r, f"{where}.{kind}.{module}", module, streams)
                if result_stream is not None:
                    result[module] = (result_stream,)
            if platform is not None:
                result["platform"] = (platform,)
        if "buildopts" in body:
            arches = sections.buildopts(
                r, f"{where}.buildopts", body["buildopts"], whitelist=True, arches=True
            )
            if index == 0:
                first_arches = arches
        blocks.append(Dependencies(found["buildrequires"], found["requires"]))
    return tuple(blocks), first_arches


def _single_stream(r: Reasons, path: str, module: str, value: Any) -> str | None:
    if module == "platform":
        r.add(path, "give the platform in the configuration's 'platform' field instead")
        return None
    r.name(path, module, "module name")
    if not isinstance(value, list) or len(value) != 1:
        r.add(path, "must be a list of exactly one stream (one stream per configuration)")
        return None
    return r.stream(f"{path}[0]", value[0])
