"""The job table: one row per piece of background work, visible to every process."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin, utcnow
from tierwise.db.choices import Choice, choice_column


class JobStatus(Choice):
    """Where a job stands; queued and running jobs are the active ones."""

    QUEUED = ("queued", "queued", "排队中")
    RUNNING = ("running", "running", "运行中")
    DONE = ("done", "done", "已完成")
    FAILED = ("failed", "failed", "失败")


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
_ONE_ACTIVE = text("status IN ('queued', 'running')")


class Job(IdMixin, Base):
    """A job of one kind (a recompute, …): who asked, its stages so far, how it ended."""

    __tablename__ = "jobs"
    # At most one active job per kind, enforced by the database across every process.
    __table_args__ = (
        Index(
            "uq_jobs_active_kind",
            "kind",
            unique=True,
            sqlite_where=_ONE_ACTIVE,
            postgresql_where=_ONE_ACTIVE,
        ),
    )

    kind: Mapped[str] = mapped_column(String(40), index=True)
    status: Mapped[JobStatus] = mapped_column(choice_column(JobStatus))
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)
    requested_by: Mapped[str | None] = mapped_column(String(200))
    # The process running it ("host:pid:start"), so a new server can tell a job whose process died.
    worker: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str | None] = mapped_column(String(40))
    stages: Mapped[list[str]] = mapped_column(JSON)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @property
    def done(self) -> bool:
        """Whether it has ended, well or not."""
        return self.status not in ACTIVE
