"""Conveyor's SQLAlchemy models: one aggregate per module."""

from models.base import Base
from models.branch_ref import BranchRef
from models.build import Build, BuildState
from models.build_transition import BuildTransition
from models.inbox import InboxEntry
from models.outbox import OutboxMessage
from models.package import Package
from models.rejected import RejectedMessage

__all__ = [
    "Base",
    "BranchRef",
    "Build",
    "BuildState",
    "BuildTransition",
    "InboxEntry",
    "OutboxMessage",
    "Package",
    "RejectedMessage",
]
