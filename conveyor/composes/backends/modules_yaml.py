"""The modular metadata of a module compose: ``modules.yaml`` in each arch's repodata.

Without it dnf sees a module compose as plain RPMs; with it, ``dnf module list``
shows the streams and the module's RPMs are filtered until the stream is enabled,
as in an ODCS compose. Each document is the built form of the stored modulemd
(version 2, with the build's version, context and arch, and the RPMs of this
repository as ``artifacts``), written by ``modifyrepo_c`` (an argument list, no shell).
"""

from __future__ import annotations

import subprocess  # nosec B404 - modifyrepo_c runs with an argument list, never a shell
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from conveyor.composes.backends.base import GenerationFailed
from conveyor.modulemd.documents import load_stream
from conveyor.modulemd.model import ModulemdInvalid, ModuleStream

# Sections copied as the packager wrote them (validated when the module was submitted).
_COPIED = ("references", "profiles", "api", "filter", "buildopts")


@dataclass(frozen=True)
class BuiltModule:
    nsvc: str
    modulemd: str  # as stored for the module build
    nevras: tuple[str, ...]  # this arch's RPMs of the module, N-E:V-R.A


def nevra(rpm: dict[str, Any]) -> str:
    """koji's RPM row as modulemd artifacts write it: the epoch is mandatory."""
    epoch = rpm.get("epoch") or 0
    return f"{rpm['name']}-{epoch}:{rpm['version']}-{rpm['release']}.{rpm['arch']}"


def built_document(module: BuiltModule, arch: str) -> dict[str, Any]:
    name, stream, version, context = module.nsvc.split(":")
    try:
        parsed = load_stream(module.modulemd, name=name, stream=stream)
    except ModulemdInvalid as exc:
        reason = f"module {module.nsvc}: its stored modulemd is invalid: {exc}"
        raise GenerationFailed(reason) from exc
    data: dict[str, Any] = {
        "name": name, "stream": stream, "version": int(version), "context": context,
        "arch": arch, "summary": parsed.summary, "description": parsed.description,
        "license": {"module": list(parsed.module_licenses)},
    }  # fmt: skip
    data.update(_levels(parsed))
    data["dependencies"] = [
        {key: {m: list(s) for m, s in getattr(block, key).items()}
         for key in ("buildrequires", "requires") if getattr(block, key)}
        for block in parsed.dependencies
    ]  # fmt: skip
    written = parsed.document.get("data") or {}
    copied = {key: written.get(key) for key in _COPIED}
    data.update({key: value for key, value in copied.items() if isinstance(value, dict)})
    if parsed.components:
        data["components"] = {"rpms": {c.name: _component(c) for c in parsed.components}}
    data["artifacts"] = {"rpms": sorted(module.nevras)}
    return {"document": "modulemd", "version": 2, "data": data}


def _levels(parsed: ModuleStream) -> dict[str, Any]:
    if not parsed.servicelevels:
        return {}
    return {
        "servicelevels": {
            level: ({"eol": eol.isoformat()} if eol else {})
            for level, eol in parsed.servicelevels.items()
        }
    }


def _component(component: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"rationale": component.rationale, "buildorder": component.buildorder}
    if component.ref:
        found["ref"] = component.ref
    if component.arches:
        found["arches"] = list(component.arches)
    return found


def add_to_repodata(os_dir: Path, modules: list[BuiltModule], arch: str) -> None:
    """Write the documents and register them in ``os_dir/repodata`` as type ``modules``."""
    if not modules:
        return
    documents = [built_document(module, arch) for module in modules]
    source = os_dir / "modules.yaml"
    source.write_text(yaml.safe_dump_all(documents, explicit_start=True, sort_keys=False))
    try:
        done = subprocess.run(  # nosec B603 B607 - fixed program, argument list, our own paths
            ["modifyrepo_c", "--mdtype=modules", str(source), str(os_dir / "repodata")],
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    finally:
        source.unlink()
    if done.returncode != 0:
        raise GenerationFailed(f"modifyrepo_c failed: {done.stderr.strip()[-500:]}")
