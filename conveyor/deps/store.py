"""Definitions in the database: record one (idempotently), read the current ones, history.

A definition is keyed by (name, stream, source): the same commit or the same file
content recorded twice adds nothing. The newest row of a stream is its current
definition; ``history`` lists them all.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from conveyor.deps.definition import Dependency, StreamDefinition
from models.module_component_ref import ModuleComponentRef
from models.module_dependency import ModuleDependency
from models.module_stream import ModuleStreamDefinition


def record(
    session: Session,
    definition: StreamDefinition,
    *,
    source_kind: str,
    source: str,
    origin: str = "",
) -> tuple[ModuleStreamDefinition, bool]:
    """The row for (name, stream, source) and whether this call created it.

    A savepoint absorbs a replica that records the same push at the same moment: the
    unique key lets one insert win and the other reads the winner's row.
    """
    existing = _find(session, definition, source)
    if existing is not None:
        return existing, False
    try:
        with session.begin_nested():
            row = _row(definition, source_kind, source, origin)
            session.add(row)
            session.flush()
    except IntegrityError:
        found = _find(session, definition, source)
        if found is None:
            raise
        return found, False
    return row, True


def current_definitions(session: Session) -> list[StreamDefinition]:
    """The newest definition of every stream, in three queries whatever the graph size.

    Plain column tuples, not ORM objects: a Fedora-sized store has tens of thousands of
    rows and the graph needs none of the ORM's identity tracking.
    """
    newest = (
        select(func.max(ModuleStreamDefinition.id))
        .group_by(ModuleStreamDefinition.name, ModuleStreamDefinition.stream)
        .scalar_subquery()
    )
    dependencies: dict[int, list[Dependency]] = {}
    for def_id, kind, module, streams, block in session.execute(
        select(
            ModuleDependency.definition_id,
            ModuleDependency.kind,
            ModuleDependency.module,
            ModuleDependency.streams,
            ModuleDependency.block,
        )
        .where(ModuleDependency.definition_id.in_(newest))
        .order_by(ModuleDependency.id)
    ):
        dependencies.setdefault(def_id, []).append(Dependency(kind, module, tuple(streams), block))
    components: dict[int, dict[str, str | None]] = {}
    for def_id, rpm, ref in session.execute(
        select(
            ModuleComponentRef.definition_id, ModuleComponentRef.rpm, ModuleComponentRef.ref
        ).where(ModuleComponentRef.definition_id.in_(newest))
    ):
        components.setdefault(def_id, {})[rpm] = ref
    rows = session.execute(
        select(
            ModuleStreamDefinition.id,
            ModuleStreamDefinition.name,
            ModuleStreamDefinition.stream,
            ModuleStreamDefinition.mdversion,
            ModuleStreamDefinition.eol,
            ModuleStreamDefinition.servicelevels,
        ).where(ModuleStreamDefinition.id.in_(newest))
    )
    return [
        StreamDefinition(
            name=name,
            stream=stream,
            mdversion=mdversion,
            dependencies=tuple(dependencies.get(def_id, ())),
            components=components.get(def_id, {}),
            eol=eol,
            servicelevels=dict(servicelevels or {}),
        )
        for def_id, name, stream, mdversion, eol, servicelevels in rows
    ]


def history(session: Session, name: str, stream: str) -> Sequence[ModuleStreamDefinition]:
    """Every recorded definition of ``name:stream``, oldest first."""
    return session.scalars(
        select(ModuleStreamDefinition)
        .where(ModuleStreamDefinition.name == name, ModuleStreamDefinition.stream == stream)
        .order_by(ModuleStreamDefinition.id)
        .options(
            selectinload(ModuleStreamDefinition.dependencies),
            selectinload(ModuleStreamDefinition.components),
        )
    ).all()


def as_definition(row: ModuleStreamDefinition) -> StreamDefinition:
    return StreamDefinition(
        name=row.name,
        stream=row.stream,
        mdversion=row.mdversion,
        dependencies=tuple(
            Dependency(d.kind, d.module, tuple(d.streams), d.block) for d in row.dependencies
        ),
        components={c.rpm: c.ref for c in row.components},
        eol=row.eol,
        servicelevels=dict(row.servicelevels),
    )


def _find(
    session: Session, definition: StreamDefinition, source: str
) -> ModuleStreamDefinition | None:
    return session.scalars(
        select(ModuleStreamDefinition).where(
            ModuleStreamDefinition.name == definition.name,
            ModuleStreamDefinition.stream == definition.stream,
            ModuleStreamDefinition.source == source,
        )
    ).one_or_none()


def _row(
    definition: StreamDefinition, source_kind: str, source: str, origin: str
) -> ModuleStreamDefinition:
    row = ModuleStreamDefinition(
        name=definition.name,
        stream=definition.stream,
        source_kind=source_kind,
        source=source,
        origin=origin,
        mdversion=definition.mdversion,
        eol=definition.eol,
        servicelevels=dict(definition.servicelevels),
    )
    row.dependencies = [
        ModuleDependency(block=d.block, kind=d.kind, module=d.module, streams=list(d.streams))
        for d in definition.dependencies
    ]
    row.components = [
        ModuleComponentRef(rpm=rpm, ref=ref) for rpm, ref in sorted(definition.components.items())
    ]
    return row


def definition_at(
    session: Session, name: str, stream: str, when: datetime.datetime
) -> ModuleStreamDefinition | None:
    """The definition of ``name:stream`` that was current at ``when`` (naive UTC)."""
    return session.scalars(
        select(ModuleStreamDefinition)
        .where(
            ModuleStreamDefinition.name == name,
            ModuleStreamDefinition.stream == stream,
            ModuleStreamDefinition.recorded_at <= when,
        )
        .order_by(ModuleStreamDefinition.id.desc())
        .limit(1)
    ).one_or_none()
