"""What PDC should contain, computed from Conveyor's own stores.

- Relationships, from the module knower's current definition of each module
  stream (``conveyor.deps.store.current_definitions``): the stream
  ``ModuleBuildRequires`` / ``ModuleRequires`` the modules it names, and
  ``ModuleIncludesRPM`` each rpm component, as pdc-updater kept dependency
  chains in ``release-component-relationships``.
- Module records (PDC's ``modules``), from module builds that reached
  ``done`` or ``ready`` (``active`` once ready).
- Compose contents (PDC's ``compose-rpms``), from composes in ``done``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from conveyor.deps.definition import StreamDefinition
from conveyor.deps.store import current_definitions
from conveyor.errors import Invalid
from conveyor.modulemd import load_stream
from conveyor.pdc.facts import (
    MODULE_BUILDREQUIRES,
    MODULE_INCLUDES_RPM,
    MODULE_REQUIRES,
    PdcState,
    Relationship,
)
from models.component_build import ComponentBuild
from models.compose import Compose
from models.compose_content import ComposeContent
from models.module_build import ModuleBuild

_DEP_TYPES = {"buildrequires": MODULE_BUILDREQUIRES, "requires": MODULE_REQUIRES}
COMPOSE_VARIANT = "Everything"


def dependency_targets(module: str, streams: Iterable[str]) -> list[str]:
    """PDC component names for one dependency: ``name:stream`` per named stream.

    ``[]`` (any stream) and exclusions only (``[-x]``) name no stream: the
    relationship points at the module itself, ``name``.
    """
    named = sorted(s for s in streams if not s.startswith("-"))
    return [f"{module}:{s}" for s in named] or [module]


def relationships_of(
    definitions: Iterable[StreamDefinition], release: str
) -> frozenset[Relationship]:
    """Every stream's dependencies (all blocks) and rpm components, as relationships."""
    found: set[Relationship] = set()
    for definition in definitions:
        ns = definition.ns
        for dep in definition.dependencies:
            for target in dependency_targets(dep.module, dep.streams):
                found.add(Relationship(release, _DEP_TYPES[dep.kind], ns, target))
        found.update(
            Relationship(release, MODULE_INCLUDES_RPM, ns, rpm) for rpm in definition.components
        )
    return frozenset(found)


def module_record(build: ModuleBuild) -> dict:
    """PDC's ``modules`` record of a finished module build (uid ``name:stream:version:context``)."""
    deps = [
        {"dependency": module, "stream": stream}
        for module, stream in runtime_deps(build.modulemd, build.name, build.stream)
    ]
    rpms = sorted(c.nvr for c in build.components if c.nvr) if build.components else []
    return {
        "uid": f"{build.name}:{build.stream}:{build.version}:{build.context}",
        "name": build.name,
        "stream": build.stream,
        "version": str(build.version),
        "context": build.context,
        "koji_tag": build.koji_tag,
        "active": build.state == "ready",
        "build_deps": [_dep(ns) for ns in sorted(build.buildrequires)],
        "runtime_deps": sorted(deps, key=lambda d: (d["dependency"], d["stream"])),
        "rpms": rpms,
    }


@functools.lru_cache(maxsize=4096)
def runtime_deps(modulemd: str, name: str, stream: str) -> tuple[tuple[str, str], ...]:
    """(module, stream) pairs a build's modulemd requires; "" for any stream.

    Cached: cron asks every minute and a finished build's modulemd never changes.
    """
    try:
        document = load_stream(modulemd, name=name, stream=stream)
    except Invalid:
        return ()  # the orchestrator validated it; an unreadable one lists no runtime deps
    return tuple(
        (module, target.partition(":")[2])
        for block in document.dependencies
        for module, streams in block.requires.items()
        for target in dependency_targets(module, streams)
    )


def _dep(ns: str) -> dict:
    name, _, stream = ns.partition(":")
    return {"dependency": name, "stream": stream}


def compose_record(compose: Compose, rpms: Iterable[str], release: str) -> dict:
    """PDC's view of a done compose: its id, release, date and ``NVR.arch`` of every RPM."""
    compose_id = compose.external_id or f"conveyor-{compose.id}"
    done = compose.time_done or compose.updated_at
    return {
        "compose_id": compose_id,
        "release": compose.release or release,
        "variant": COMPOSE_VARIANT,
        "date": done.strftime("%Y%m%d"),
        "rpms": sorted(rpms),
    }


def desired_state(session: Session, release: str) -> PdcState:
    modules = session.scalars(
        select(ModuleBuild)
        .where(ModuleBuild.state.in_(("done", "ready")))
        .options(selectinload(ModuleBuild.components).load_only(ComponentBuild.nvr))
    )
    return PdcState(
        relationships=relationships_of(current_definitions(session), release),
        modules={r["uid"]: r for r in map(module_record, modules)},
        composes=_composes(session, release),
    )


def _composes(session: Session, release: str) -> dict[str, dict]:
    done = list(session.scalars(select(Compose).where(Compose.state == "done")))
    contents: dict[int, list[str]] = {c.id: [] for c in done}
    rows = session.execute(
        select(ComposeContent.compose_id, ComposeContent.artifact, ComposeContent.arch).where(
            ComposeContent.kind == "rpm", ComposeContent.compose_id.in_(list(contents))
        )
    )
    for compose_id, artifact, arch in rows:
        contents[compose_id].append(f"{artifact}.{arch}")
    records = (compose_record(c, contents[c.id], release) for c in done)
    return {r["compose_id"]: r for r in records}
