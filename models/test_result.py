"""CI results: one row per result message, whatever system sent it.

A result names its artifact as the message gives it (an NVR for a koji build,
``name:stream:version[:context]`` for a module build), the test case, and an
outcome normalized to one vocabulary (the raw word is kept beside it). The
same message twice records one row (``message_id`` is unique); the gating
policy reads the latest result per (artifact, test case) by the result's own
time, so an old result delivered late never overrides a newer one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String, Text, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from models import state_machine
from models.base import Base, utcnow

ARTIFACT_TYPES = frozenset(
    {
        "koji_build",
        "module",
        "bodhi_update",
        "compose",
        "container_image",
        "dist_git_commit",
        "koji_task",
        "pull_request",
        "other",
    }
)
OUTCOMES = frozenset(
    {"passed", "failed", "error", "queued", "running", "info", "needs_inspection", "not_applicable"}
)
SOURCES = frozenset({"resultsdb", "ci-spec", "taskotron"})
# what counts when a policy requires a test case (Greenwave counts INFO as satisfying)
SATISFYING = frozenset({"passed", "info"})
UNSATISFYING = frozenset({"failed", "error", "needs_inspection"})


class TestResult(Base):
    __tablename__ = "test_results"
    __test__ = False  # not a pytest class, whatever its name says
    __table_args__ = (
        Index("ix_test_results_subject", "artifact_type", "artifact", "testcase"),
        CheckConstraint(state_machine.sql_in("artifact_type", ARTIFACT_TYPES), name="type_known"),
        CheckConstraint(state_machine.sql_in("outcome", OUTCOMES), name="outcome_known"),
        CheckConstraint(state_machine.sql_in("source", SOURCES), name="source_known"),
        CheckConstraint("artifact <> '' AND testcase <> ''", name="names_not_empty"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    source: Mapped[str] = mapped_column(String(16))
    artifact_type: Mapped[str] = mapped_column(String(32))
    artifact: Mapped[str] = mapped_column(String(512))
    testcase: Mapped[str] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(24))
    raw_outcome: Mapped[str] = mapped_column(String(64))
    branch: Mapped[str | None] = mapped_column(String(255))  # when the message names one
    ref_url: Mapped[str | None] = mapped_column(Text)
    result_at: Mapped[datetime] = mapped_column()  # the result's own time, else arrival
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


def record(session: Session, result: TestResult) -> TestResult | None:
    """Insert the result; None when its message was recorded already (a replica or replay)."""
    try:
        with session.begin_nested():
            session.add(result)
    except IntegrityError:
        return None
    return result


def latest(
    session: Session, artifact_type: str, artifacts: tuple[str, ...]
) -> dict[str, TestResult]:
    """The newest result per test case for any of the artifact's identifiers.

    Newest by the result's own time, then by arrival: a late old result loses.
    """
    query = (
        select(TestResult)
        .where(TestResult.artifact_type == artifact_type, TestResult.artifact.in_(artifacts))
        .order_by(TestResult.result_at, TestResult.id)
    )
    newest: dict[str, TestResult] = {}
    for row in session.scalars(query):
        newest[row.testcase] = row
    return newest
