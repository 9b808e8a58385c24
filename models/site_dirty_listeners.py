"""Mark status site pages dirty when other aggregates record a change, in the same flush.

The chain, compose and CI models belong to their own modules; their trace and
result rows are inserted in the transaction that makes the change, so a
mapper listener on those inserts marks the pages showing them without any
edit to the code that writes them. Lookups go through the tables (not the
model classes of builds and module builds, which import ``models.site_dirty``).

Known staleness, bounded by the full render (cron.site_full_render_minutes):
a package no longer in a stream's new definition keeps showing that stream,
and a compose's contents recorded without a state change mark no page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Connection

from models.base import Base
from models.chain_transition import ChainTransition
from models.compose_transition import ComposeTransition
from models.gating_decision import GatingDecision
from models.module_component_ref import ModuleComponentRef
from models.module_stream import ModuleStreamDefinition
from models.site_dirty import mark_many
from models.test_result import TestResult


def _table(name: str) -> Any:
    return Base.metadata.tables[name]


def _packages_of_nvrs(connection: Connection, nvrs: Any) -> list[int]:
    builds = _table("builds")
    query = select(builds.c.package_id).where(builds.c.nvr.in_(nvrs)).distinct()
    return list(connection.scalars(query))


def _module_builds_of(connection: Connection, artifact: str) -> list[int]:
    """The module builds a ``name:stream:version[:context]`` names (none if malformed)."""
    parts = artifact.split(":")
    if len(parts) not in (3, 4) or not parts[2].isdigit():
        return []
    modules = _table("module_builds")
    query = select(modules.c.id).where(
        modules.c.name == parts[0],
        modules.c.stream == parts[1],
        modules.c.version == int(parts[2]),
    )
    if len(parts) == 4:
        query = query.where(modules.c.context == parts[3])
    return list(connection.scalars(query))


def _chain_changed(_mapper: object, connection: Connection, target: ChainTransition) -> None:
    """The chain's page; an item's change also shows on its module build's page."""
    mark_many(connection, "chain", [target.chain_id])
    if target.item_id is not None:
        items = _table("chain_items")
        query = select(items.c.module_build_id).where(items.c.id == target.item_id)
        mark_many(connection, "module_build", connection.scalars(query))


def _compose_changed(_mapper: object, connection: Connection, target: ComposeTransition) -> None:
    """The compose's page, and the pages of what it contains (their compose's state moved)."""
    mark_many(connection, "compose", [target.compose_id])
    contents = _table("compose_contents")
    of_compose = contents.c.compose_id == target.compose_id
    nvrs = select(contents.c.artifact).where(of_compose, contents.c.kind == "rpm")
    mark_many(connection, "package", _packages_of_nvrs(connection, nvrs))
    nsvcs = list(
        connection.scalars(
            select(contents.c.artifact).where(of_compose, contents.c.kind == "module")
        )
    )
    mark_many(
        connection, "module_build", [i for a in nsvcs for i in _module_builds_of(connection, a)]
    )


def _decided(_mapper: object, connection: Connection, target: GatingDecision) -> None:
    if target.module_build_id is not None:
        mark_many(connection, "module_build", [target.module_build_id])
    elif target.nvr is not None:
        mark_many(connection, "package", _packages_of_nvrs(connection, [target.nvr]))


def _result_recorded(_mapper: object, connection: Connection, target: TestResult) -> None:
    if target.artifact_type == "koji_build":
        mark_many(connection, "package", _packages_of_nvrs(connection, [target.artifact]))
    elif target.artifact_type == "module":
        mark_many(connection, "module_build", _module_builds_of(connection, target.artifact))


def _component_ref_added(
    _mapper: object, connection: Connection, target: ModuleComponentRef
) -> None:
    """A stream definition naming rpms/<name>: that package's "modules that include it"."""
    packages = _table("packages")
    query = select(packages.c.id).where(
        packages.c.namespace == "rpms", packages.c.name == target.rpm
    )
    mark_many(connection, "package", connection.scalars(query))


def _definition_added(
    _mapper: object, connection: Connection, target: ModuleStreamDefinition
) -> None:
    """A new definition of name:stream: its module builds' EOL/SLA, and the stream pages."""
    mark_many(connection, "stream", [target.id])
    modules = _table("module_builds")
    query = select(modules.c.id).where(
        modules.c.name == target.name, modules.c.stream == target.stream
    )
    mark_many(connection, "module_build", connection.scalars(query))


LISTENERS = (
    (ChainTransition, "after_insert", _chain_changed),
    (ComposeTransition, "after_insert", _compose_changed),
    (GatingDecision, "after_insert", _decided),
    (GatingDecision, "after_update", _decided),
    (TestResult, "after_insert", _result_recorded),
    (ModuleComponentRef, "after_insert", _component_ref_added),
    (ModuleStreamDefinition, "after_insert", _definition_added),
)


for _model, _name, _listener in LISTENERS:
    event.listen(_model, _name, _listener)
