"""Phase 1 for module builds: seven queries, whatever the number of module builds.

One query reads the module builds (newest first, without the modulemd text the
site never shows) outer-joined to their components, each with the module build
its reused build came from (a self-join, not a query per component); one reads
the module builds' state traces; ``gather_extras.module_extras`` reads their CI
results, compose membership, EOL/SLA and chains in five more.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from models import ComponentBuild, ModuleBuild, ModuleBuildTransition
from models.component_build import FINISHED
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
    # Set when ``components`` and ``transitions`` hold only some module builds' (the
    # pages a render writes): every module build's (last batch, components finished,
    # components), which the lists show, counted by the database.
    component_counts: dict[int, ComponentCounts] | None = None
    detailed: frozenset[int] = frozenset()  # with component_counts: whose rows are here


@dataclass(frozen=True)
class ComponentCounts:
    last_batch: int
    finished: int
    total: int


def _columns(row_type: type, model: Any, count: int | None = None) -> list[Any]:
    return [getattr(model, f.name) for f in fields(row_type)[:count]]


def _builds_and_components(
    session: Session, details: Collection[int] | None = None
) -> tuple[tuple[ModuleBuildRow, ...], tuple[ComponentRow, ...]]:
    """Module builds with their components in one query: a module build row per component.

    ``details``: the module builds whose components to read (None: all).
    """
    origin = aliased(ComponentBuild)
    build_columns = _columns(ModuleBuildRow, ModuleBuild)
    joined = ComponentBuild.module_build_id == ModuleBuild.id
    if details is not None:
        joined = and_(joined, ModuleBuild.id.in_(sorted(details)))
    query = (
        select(
            *build_columns,
            *_columns(ComponentRow, ComponentBuild, -1),
            origin.module_build_id,
        )
        .select_from(ModuleBuild)
        .outerjoin(ComponentBuild, joined)
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


def _component_counts(session: Session) -> dict[int, ComponentCounts]:
    finished = case((ComponentBuild.state.in_(sorted(FINISHED)), 1), else_=0)
    query = select(
        ComponentBuild.module_build_id,
        func.max(ComponentBuild.batch),
        func.sum(finished),
        func.count(),
    ).group_by(ComponentBuild.module_build_id)
    return {row[0]: ComponentCounts(*row[1:]) for row in session.execute(query)}


def gather_modules(session: Session, details: Collection[int] | None = None) -> ModulesGathered:
    """Module builds, components, traces (two queries), and their extras (five).

    ``details``: the module builds whose pages the render writes (None: all). An
    incremental render reads only their components and traces (at Fedora scale
    ~15,000 components, most of this read) and counts everyone's in one more query.
    """
    module_builds, components = _builds_and_components(session, details)
    trace = ModuleBuildTransition
    return ModulesGathered(
        module_builds=module_builds,
        components=components,
        transitions=select_rows(
            session,
            ModuleTransitionRow,
            trace,
            trace.module_build_id,
            trace.at,
            trace.id,
            where=None if details is None else trace.module_build_id.in_(sorted(details)),
        ),
        extras=module_extras(session),
        component_counts=None if details is None else _component_counts(session),
        detailed=frozenset(details or ()),
    )
