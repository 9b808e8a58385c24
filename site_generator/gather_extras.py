"""Phase 1 for what package and module build pages show of CI, composes, knowledge and chains.

Package pages are gathered a chunk of packages at a time (``gather_site``):
``package_extras`` reads, for one chunk, the module streams whose current
definition includes each package, the gating decisions and test results of
its builds' NVRs, and the composes that contain them: four queries per chunk,
each joined through ``packages`` or ``builds`` and selected by the chunk's
package ids (a range or a list), never per package or per build.

Module build pages are gathered all at once (``gather_modules``):
``module_extras`` reads the same kinds for every module build in five queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from models import Build, ModuleBuild, Package
from models.chain_item import ChainItem
from models.compose import Compose
from models.compose_content import ComposeContent
from models.gating_decision import GatingDecision
from models.module_component_ref import ModuleComponentRef
from models.module_stream import ModuleStreamDefinition
from models.rebuild_chain import RebuildChain
from models.test_result import TestResult
from site_generator.gather_pipeline import current_definitions


@dataclass(frozen=True)
class StreamRefRow:
    """A module stream whose current definition includes package ``package_id``."""

    package_id: int
    name: str
    stream: str
    ref: str | None  # None: the deployment's default branch
    newest_build_id: int | None  # the stream's newest module build (uq name, stream, version)


@dataclass(frozen=True)
class DecisionRow:
    subject: str | int  # an NVR, or a module build id
    outcome: str
    reason: str
    missing: list[str]
    decided_at: datetime


@dataclass(frozen=True)
class ResultRow:
    artifact: str  # an NVR, or name:stream:version[:context]
    testcase: str
    outcome: str
    ref_url: str | None
    result_at: datetime


@dataclass(frozen=True)
class InComposeRow:
    artifact: str  # the NVR or NSVC the compose contains
    compose_id: int
    state: str
    source_type: str
    time_to_expire: datetime | None


@dataclass(frozen=True)
class LifecycleRow:
    name: str
    stream: str
    eol: date | None
    servicelevels: dict[str, str | None]


@dataclass(frozen=True)
class ChainMemberRow:
    module_build_id: int
    chain_id: int
    chain_state: str
    tier: int
    item_state: str


@dataclass(frozen=True)
class ExtrasGathered:
    stream_refs: tuple[StreamRefRow, ...] = ()  # package pages only
    decisions: tuple[DecisionRow, ...] = ()
    results: tuple[ResultRow, ...] = ()  # oldest first: the last per test case wins
    in_composes: tuple[InComposeRow, ...] = ()  # newest compose first
    lifecycles: tuple[LifecycleRow, ...] = ()  # module pages only
    chains: tuple[ChainMemberRow, ...] = ()  # module pages only


NO_EXTRAS = ExtrasGathered()
_RESULT_COLUMNS = (
    TestResult.artifact,
    TestResult.testcase,
    TestResult.outcome,
    TestResult.ref_url,
    TestResult.result_at,
)
_IN_COMPOSE_COLUMNS = (
    ComposeContent.artifact,
    Compose.id,
    Compose.state,
    Compose.source_type,
    Compose.time_to_expire,
)


def _rows(session: Session, row_type: type, query: Any) -> tuple:
    return tuple(row_type(*row) for row in session.connection().execute(query))  # Core: rows


def package_extras(session: Session, of: Callable[[Any], ColumnElement[bool]]) -> ExtrasGathered:
    """Knowledge, CI and composes of the packages ``of(column)`` selects: four queries."""
    newest = (
        select(func.max(ModuleBuild.id))
        .where(ModuleBuild.name == ModuleStreamDefinition.name)
        .where(ModuleBuild.stream == ModuleStreamDefinition.stream)
        .correlate(ModuleStreamDefinition)
        .scalar_subquery()
    )
    refs = (
        select(Package.id, ModuleStreamDefinition.name, ModuleStreamDefinition.stream,
               ModuleComponentRef.ref, newest)
        .join(ModuleStreamDefinition,
              ModuleStreamDefinition.id == ModuleComponentRef.definition_id)
        .join(Package, Package.name == ModuleComponentRef.rpm)
        .where(Package.namespace == "rpms", of(Package.id))
        .where(ModuleStreamDefinition.id.in_(current_definitions()))
        .order_by(Package.id, ModuleStreamDefinition.name, ModuleStreamDefinition.stream)
    )  # fmt: skip
    built = select(Build.nvr).where(of(Build.package_id), Build.nvr.is_not(None))
    decisions = (
        select(GatingDecision.nvr, GatingDecision.outcome, GatingDecision.reason,
               GatingDecision.missing, GatingDecision.decided_at)
        .where(GatingDecision.nvr.in_(built))
    )  # fmt: skip
    results = (
        select(*_RESULT_COLUMNS)
        .where(TestResult.artifact_type == "koji_build", TestResult.artifact.in_(built))
        .order_by(TestResult.result_at, TestResult.id)
    )
    in_composes = (
        select(*_IN_COMPOSE_COLUMNS)
        .join(Compose, Compose.id == ComposeContent.compose_id)
        .where(ComposeContent.kind == "rpm", ComposeContent.artifact.in_(built))
        .distinct()
        .order_by(Compose.id.desc(), ComposeContent.artifact)
    )
    return ExtrasGathered(
        stream_refs=_rows(session, StreamRefRow, refs),
        decisions=_rows(session, DecisionRow, decisions),
        results=_rows(session, ResultRow, results),
        in_composes=_rows(session, InComposeRow, in_composes),
    )


def module_extras(session: Session) -> ExtrasGathered:
    """CI, composes, EOL/SLA and chain membership of every module build: five queries."""
    d = ModuleStreamDefinition
    decisions = (
        select(GatingDecision.module_build_id, GatingDecision.outcome, GatingDecision.reason,
               GatingDecision.missing, GatingDecision.decided_at)
        .where(GatingDecision.module_build_id.is_not(None))
    )  # fmt: skip
    results = (
        select(*_RESULT_COLUMNS)
        .where(TestResult.artifact_type == "module")
        .order_by(TestResult.result_at, TestResult.id)
    )
    in_composes = (
        select(*_IN_COMPOSE_COLUMNS)
        .join(Compose, Compose.id == ComposeContent.compose_id)
        .where(ComposeContent.kind == "module")
        .distinct()
        .order_by(Compose.id.desc(), ComposeContent.artifact)
    )
    lifecycles = select(d.name, d.stream, d.eol, d.servicelevels).where(
        d.id.in_(current_definitions())
    )
    chains = (
        select(ChainItem.module_build_id, RebuildChain.id, RebuildChain.state, ChainItem.tier,
               ChainItem.state)
        .join(RebuildChain, RebuildChain.id == ChainItem.chain_id)
        .where(ChainItem.module_build_id.is_not(None))
        .order_by(RebuildChain.id.desc())
    )  # fmt: skip
    return ExtrasGathered(
        decisions=_rows(session, DecisionRow, decisions),
        results=_rows(session, ResultRow, results),
        in_composes=_rows(session, InComposeRow, in_composes),
        lifecycles=_rows(session, LifecycleRow, lifecycles),
        chains=_rows(session, ChainMemberRow, chains),
    )
