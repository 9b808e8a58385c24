"""Conveyor's SQLAlchemy models: one aggregate per module."""

from models.base import Base
from models.branch_ref import BranchRef
from models.build import Build, BuildState
from models.build_transition import BuildTransition
from models.chain_item import ChainItem
from models.chain_transition import ChainTransition
from models.component_build import ComponentBuild, ComponentState
from models.compose import Compose
from models.compose_content import ComposeContent
from models.compose_transition import ComposeTransition
from models.cron_run import CronRun
from models.gating_decision import GatingDecision
from models.inbox import InboxEntry
from models.module_build import ModuleBuild, ModuleState
from models.module_build_transition import ComponentBuildTransition, ModuleBuildTransition
from models.module_component_ref import ModuleComponentRef
from models.module_dependency import ModuleDependency
from models.module_stream import ModuleStreamDefinition
from models.outbox import OutboxMessage
from models.package import Package
from models.pdc_update import PdcUpdate
from models.rebuild_chain import RebuildChain
from models.rejected import RejectedMessage
from models.site_dirty import SiteDirty
from models.test_result import TestResult

__all__ = [
    "Base",
    "BranchRef",
    "Build",
    "BuildState",
    "BuildTransition",
    "ChainItem",
    "ChainTransition",
    "ComponentBuild",
    "ComponentBuildTransition",
    "ComponentState",
    "Compose",
    "ComposeContent",
    "ComposeTransition",
    "CronRun",
    "GatingDecision",
    "InboxEntry",
    "ModuleBuild",
    "ModuleBuildTransition",
    "ModuleComponentRef",
    "ModuleDependency",
    "ModuleState",
    "ModuleStreamDefinition",
    "OutboxMessage",
    "Package",
    "PdcUpdate",
    "RebuildChain",
    "RejectedMessage",
    "SiteDirty",
    "TestResult",
]
