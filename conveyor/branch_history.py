"""Branch history queries over ``branch_refs`` (every ref a push moved, with its time).

Two questions packagers and release engineers ask: which commit did a branch point to
at a given time, and which module builds were built against a component commit that is
no longer the head of its branch ("built against an old hash").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from models.branch_ref import BranchRef
from models.component_build import ComponentBuild
from models.module_build import ModuleBuild
from models.package import Package

# Module builds that were (or are being) built: a failed or not-yet-started one built nothing.
BUILT_STATES = ("build", "done", "ready")


@dataclass(frozen=True)
class StaleComponent:
    """A component of a module build whose commit is no longer its branch's head."""

    module_build_id: int
    module: str  # name:stream:version
    module_state: str
    package: str
    branch: str
    built_commit: str
    head_commit: str
    head_pushed_at: datetime

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["head_pushed_at"] = self.head_pushed_at.isoformat()
        return data


def naive_utc(when: datetime) -> datetime:
    """The database keeps naive UTC; an aware time is converted, a naive one taken as UTC."""
    return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def commit_at(
    session: Session, namespace: str, name: str, branch: str, when: datetime | None = None
) -> str | None:
    """The commit ``namespace/name`` branch ``branch`` pointed to at ``when`` (default now).

    None when no push of that branch was recorded by then. Pushes at the same instant
    are ordered by arrival.
    """
    query = (
        select(BranchRef.new_commit)
        .join(Package, Package.id == BranchRef.package_id)
        .where(Package.namespace == namespace, Package.name == name, BranchRef.branch == branch)
        .order_by(BranchRef.pushed_at.desc(), BranchRef.id.desc())
        .limit(1)
    )
    if when is not None:
        query = query.where(BranchRef.pushed_at <= naive_utc(when))
    return session.scalars(query).first()


def built_against_old_hash(
    session: Session, *, states: Iterable[str] = BUILT_STATES, namespace: str = "rpms"
) -> list[StaleComponent]:
    """Components whose commit differs from the newest push of the branch they name.

    Components pinned to a commit or tag (a ref no push moved) have no branch history
    and are left out. One query: the newest push per (package, branch) by window function.
    """
    ranked = select(
        BranchRef.package_id,
        BranchRef.branch,
        BranchRef.new_commit,
        BranchRef.pushed_at,
        func.row_number()
        .over(
            partition_by=(BranchRef.package_id, BranchRef.branch),
            order_by=(BranchRef.pushed_at.desc(), BranchRef.id.desc()),
        )
        .label("rank"),
    ).subquery()
    query = (
        select(ModuleBuild, ComponentBuild, ranked.c.new_commit, ranked.c.pushed_at)
        .join(ComponentBuild, ComponentBuild.module_build_id == ModuleBuild.id)
        .join(Package, and_(Package.namespace == namespace, Package.name == ComponentBuild.package))
        .join(
            ranked,
            and_(
                ranked.c.package_id == Package.id,
                ranked.c.branch == ComponentBuild.ref,
                ranked.c.rank == 1,
            ),
        )
        .where(ModuleBuild.state.in_(list(states)), ComponentBuild.commit != ranked.c.new_commit)
        .order_by(ModuleBuild.id, ComponentBuild.package)
    )
    return [
        StaleComponent(
            module_build_id=module.id,
            module=module.nsv,
            module_state=module.state,
            package=component.package,
            branch=component.ref,
            built_commit=component.commit,
            head_commit=head,
            head_pushed_at=pushed_at,
        )
        for module, component, head, pushed_at in session.execute(query)
    ]
