"""Phase 1 for module builds: seven queries, whatever the number of module builds.

One query reads the module builds (newest first, without the modulemd text the
site never shows) outer-joined to their components, each with the module build
its reused build came from (a self-join, not a query per component); one reads
the module builds' state traces; ``gather_extras.module_extras`` reads their CI
results, compose membership, EOL/SLA and chains in five more.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from models import ComponentBuild, ModuleBuild, ModuleBuildTransition
from site_generator.gather_extras import NO_EXTRAS, ExtrasGathered, module_extras
from site_generator.rows import select_rows


@dataclass(frozen=True)
class ModuleBuildRow:
    id: int
    name: str
    stream: str
    version: int
    context: str
    scmurl: str
    commit: str
    owner: str
    state: str
    state_reason: str
    batch: int
    koji_tag: str | None
    submitted_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class ComponentRow:
    id: int
    module_build_id: int
    package: str
    ref: str
    commit: str
    batch: int
    state: str
    state_reason: str
    koji_task_id: int | None
    koji_build_id: int | None
    nvr: str | None
    tagged_build: bool
    tagged_dest: bool
    reused_from_id: int | None
    updated_at: datetime
    # Not a column of component_builds: the module build of ``reused_from_id``.
    reused_from_module_build_id: int | None


@dataclass(frozen=True)
class ModuleTransitionRow:
    module_build_id: int
    from_state: str | None
    to_state: str
    cause: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class ModulesGathered:
    module_builds: tuple[ModuleBuildRow, ...]  # newest first
    components: tuple[ComponentRow, ...]  # by module build (newest first), batch, package
    transitions: tuple[ModuleTransitionRow, ...]  # by module build, oldest first
    extras: ExtrasGathered = NO_EXTRAS  # CI, composes, EOL/SLA, chains (gather_extras)


def _columns(row_type: type, model: Any, count: int | None = None) -> list[Any]:
    return [getattr(model, f.name) for f in fields(row_type)[:count]]


def _builds_and_components(
    session: Session,
) -> tuple[tuple[ModuleBuildRow, ...], tuple[ComponentRow, ...]]:
    """Module builds with their components in one query: a module build row per component."""
    origin = aliased(ComponentBuild)
    build_columns = _columns(ModuleBuildRow, ModuleBuild)
    query = (
        select(
            *build_columns,
            *_columns(ComponentRow, ComponentBuild, -1),
            origin.module_build_id,
        )
        .select_from(ModuleBuild)
        .outerjoin(ComponentBuild, ComponentBuild.module_build_id == ModuleBuild.id)
        .outerjoin(origin, origin.id == ComponentBuild.reused_from_id)
        .order_by(
            ModuleBuild.submitted_at.desc(),
            ModuleBuild.id.desc(),
            ComponentBuild.batch,
            ComponentBuild.package,
            ComponentBuild.id,
        )
    )
    split = len(build_columns)
    builds: dict[int, ModuleBuildRow] = {}  # insertion order: newest first
    components: list[ComponentRow] = []
    for row in session.execute(query):
        build_id = row[0]
        if build_id not in builds:
            builds[build_id] = ModuleBuildRow(*row[:split])
        if row[split] is not None:  # the outer join's "no component" row has a NULL id
            components.append(ComponentRow(*row[split:]))
    return tuple(builds.values()), tuple(components)


def gather_modules(session: Session) -> ModulesGathered:
    """Module builds, components, traces (two queries), and their extras (five)."""
    module_builds, components = _builds_and_components(session)
    return ModulesGathered(
        module_builds=module_builds,
        components=components,
        transitions=select_rows(
            session,
            ModuleTransitionRow,
            ModuleBuildTransition,
            ModuleBuildTransition.module_build_id,
            ModuleBuildTransition.at,
            ModuleBuildTransition.id,
        ),
        extras=module_extras(session),
    )
