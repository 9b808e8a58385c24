"""Phase 1 for rebuild chains and composes: nine queries, whatever their number.

Both are index-part data (every render reads them once, like module builds):
chains with their items, traces and the buildrequires that link their tiers;
composes with their counts, contents and traces. A compose's contents are one
row per RPM and arch (thousands for a big compose): a full render reads them
all, an incremental render only those of the composes whose pages it writes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from models.chain_item import ChainItem
from models.chain_transition import ChainTransition
from models.compose import Compose
from models.compose_content import ComposeContent
from models.compose_transition import ComposeTransition
from models.module_dependency import ModuleDependency
from models.module_stream import ModuleStreamDefinition
from models.rebuild_chain import RebuildChain
from site_generator.rows import select_rows


@dataclass(frozen=True)
class ChainRow:
    id: int
    trigger_kind: str
    trigger_namespace: str | None
    trigger_name: str | None
    trigger_branch: str | None
    trigger_commit: str | None
    trigger_module: str | None
    requester: str
    state: str
    reason: str
    current_tier: int
    failed_tier: int | None
    superseded_by_id: int | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class ChainItemRow:
    id: int
    chain_id: int
    name: str
    stream: str
    tier: int
    module_build_id: int | None
    state: str
    reason: str
    owner: str


@dataclass(frozen=True)
class ChainTransitionRow:
    chain_id: int
    item_id: int | None
    from_state: str | None
    to_state: str
    cause: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class BuildRequiresRow:
    """One buildrequires of a chain item's stream, from that stream's current definition."""

    name: str
    stream: str
    module: str
    streams: list[str]  # as modulemd says: [] any, ["-x"] any but x


@dataclass(frozen=True)
class ComposeRow:
    id: int
    origin: str
    external_id: str | None
    owner: str
    source_type: str
    source: str
    label: str | None
    compose_type: str | None
    koji_event: int | None
    state: str
    state_reason: str
    time_submitted: datetime
    time_started: datetime | None
    time_done: datetime | None
    time_removed: datetime | None
    time_to_expire: datetime | None
    removed_by: str | None
    reused_id: int | None
    result_repo_url: str | None
    result_repofile: str | None
    updated_at: datetime


@dataclass(frozen=True)
class ContentRow:
    compose_id: int
    kind: str  # rpm | module
    artifact: str  # NVR or NSVC
    name: str
    arch: str | None


@dataclass(frozen=True)
class ComposeTransitionRow:
    compose_id: int
    from_state: str | None
    to_state: str
    cause: str
    reason: str
    at: datetime


@dataclass(frozen=True)
class PipelineGathered:
    chains: tuple[ChainRow, ...] = ()  # newest first
    items: tuple[ChainItemRow, ...] = ()  # by chain, tier, name, stream
    chain_transitions: tuple[ChainTransitionRow, ...] = ()  # by chain, in insertion order
    buildrequires: tuple[BuildRequiresRow, ...] = ()
    composes: tuple[ComposeRow, ...] = ()  # newest first
    contents: tuple[ContentRow, ...] = ()  # by compose, kind, artifact, arch
    compose_transitions: tuple[ComposeTransitionRow, ...] = ()  # by compose, oldest first
    # compose id -> distinct artifacts, and times regenerated (every compose, for the list)
    content_counts: dict[int, int] = field(default_factory=dict)
    regenerations: dict[int, int] = field(default_factory=dict)
    # None: contents and traces of every compose; else only of these (the pages written)
    detailed: frozenset[int] | None = None


NO_PIPELINE = PipelineGathered()


def _columns(row_type: type, model: Any) -> list[Any]:
    return [getattr(model, f.name) for f in fields(row_type)]


def current_definitions() -> Any:
    """The ids of each module stream's current definition (its newest row) as a subquery."""
    return (
        select(func.max(ModuleStreamDefinition.id))
        .group_by(ModuleStreamDefinition.name, ModuleStreamDefinition.stream)
        .scalar_subquery()
    )


def _buildrequires(session: Session) -> tuple[BuildRequiresRow, ...]:
    """The buildrequires of every stream some chain rebuilds (block 0: what MBS expands first)."""
    d = ModuleStreamDefinition
    in_chains = select(ChainItem.name, ChainItem.stream).distinct()
    query = (
        select(d.name, d.stream, ModuleDependency.module, ModuleDependency.streams)
        .join(ModuleDependency, ModuleDependency.definition_id == d.id)
        .where(d.id.in_(current_definitions()))
        .where(ModuleDependency.kind == "buildrequires", ModuleDependency.block == 0)
        .where(tuple_(d.name, d.stream).in_(in_chains))
        .order_by(d.name, d.stream, ModuleDependency.module)
    )
    return tuple(BuildRequiresRow(*row) for row in session.execute(query))


def _compose_counts(session: Session) -> tuple[dict[int, int], dict[int, int]]:
    """Distinct artifacts per compose, and regenerations (back to wait from removed|failed)."""
    contents = select(
        ComposeContent.compose_id, func.count(func.distinct(ComposeContent.artifact))
    ).group_by(ComposeContent.compose_id)
    t = ComposeTransition
    regenerated = (
        select(t.compose_id, func.count())
        .where(t.to_state == "wait", t.from_state.in_(("removed", "failed")))
        .group_by(t.compose_id)
    )
    return (
        {i: n for i, n in session.execute(contents)},
        {i: n for i, n in session.execute(regenerated)},
    )


def gather_pipeline(session: Session, composes: Collection[int] | None = None) -> PipelineGathered:
    """Chains, items, their traces, buildrequires, composes, compose counts, contents and
    traces: nine queries. ``composes``: read contents and traces of these composes only
    (an incremental render writes only their pages; the list needs just the counts)."""
    only = None if composes is None else frozenset(composes)
    contents = select(*_columns(ContentRow, ComposeContent)).order_by(
        ComposeContent.compose_id,
        ComposeContent.kind,
        ComposeContent.artifact,
        ComposeContent.arch,
    )
    traces = select(*_columns(ComposeTransitionRow, ComposeTransition)).order_by(
        ComposeTransition.compose_id, ComposeTransition.at, ComposeTransition.id
    )
    if only is not None:
        contents = contents.where(ComposeContent.compose_id.in_(sorted(only)))
        traces = traces.where(ComposeTransition.compose_id.in_(sorted(only)))
    content_counts, regenerations = _compose_counts(session)
    return PipelineGathered(
        chains=select_rows(session, ChainRow, RebuildChain, RebuildChain.id.desc()),
        items=select_rows(
            session,
            ChainItemRow,
            ChainItem,
            ChainItem.chain_id,
            ChainItem.tier,
            ChainItem.name,
            ChainItem.stream,
        ),
        chain_transitions=select_rows(
            session,
            ChainTransitionRow,
            ChainTransition,
            ChainTransition.chain_id,
            ChainTransition.id,  # insertion order: a chain and its items change in one commit
        ),
        buildrequires=_buildrequires(session),
        composes=select_rows(session, ComposeRow, Compose, Compose.id.desc()),
        contents=tuple(ContentRow(*row) for row in session.execute(contents)),
        compose_transitions=tuple(ComposeTransitionRow(*row) for row in session.execute(traces)),
        content_counts=content_counts,
        regenerations=regenerations,
        detailed=only,
    )
