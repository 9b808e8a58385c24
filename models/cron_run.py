"""The last run of each cron job, so operators (and the status site) see that the
reconcilers and the other periodic jobs are alive even when they correct nothing.

One row per job name, overwritten in place: this is a heartbeat, not a log (the
journal has the log). ``cron.runs`` writes it at most once a minute per job
unless the outcome changes, so a job that runs every second does not turn into
a stream of writes competing with the consumers for the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

OUTCOMES = ("ok", "error")


class CronRun(Base):
    __tablename__ = "cron_runs"
    __table_args__ = (
        CheckConstraint("outcome IN ('ok', 'error')", name="outcome"),
        CheckConstraint("outcome = 'ok' OR error IS NOT NULL", name="error_has_text"),
        CheckConstraint("runs >= 1 AND failures >= 0 AND failures <= runs", name="counts"),
        CheckConstraint("seconds >= 0", name="seconds"),
    )

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    finished_at: Mapped[datetime]
    outcome: Mapped[str] = mapped_column(String(8))
    seconds: Mapped[float] = mapped_column(Float)  # duration of the last recorded run
    error: Mapped[str | None] = mapped_column(Text)
    last_ok_at: Mapped[datetime | None]
    runs: Mapped[int] = mapped_column(Integer)  # runs since the cron process started
    failures: Mapped[int] = mapped_column(Integer)  # of those runs
