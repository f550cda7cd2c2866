"""The one job runner: claims a kind in the job table, runs the work, writes each stage and the
outcome, and marks the jobs of processes that died as failed."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from tierwise.db.base import utcnow
from tierwise.db.session import UnitOfWork
from tierwise.errors import Conflict
from tierwise.i18n import _
from tierwise.jobs.models import ACTIVE, Job, JobStatus

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


class Summarised(Protocol):
    """What a job's work returns: it can say what it did in a few JSON values."""

    def summary(self) -> dict[str, Any]:
        """The job's result as stored on its row."""


R = TypeVar("R", bound=Summarised)
Work = Callable[[UnitOfWork, Progress], R]


class JobRefused(Conflict):
    """A job of the same kind is queued or running already (in any process)."""

    def __init__(self, running: Job | None) -> None:
        who = running.requested_by if running and running.requested_by else "—"
        when = running.requested_at.strftime("%Y-%m-%d %H:%M UTC") if running else "—"
        super().__init__(
            _(
                "This job is running already (asked by {who} at {when}); try again when it ends."
            ).format(who=who, when=when)
        )


def _process_start(pid: int) -> str:
    """When the process started (clock ticks since boot, from /proc), so a reused pid is told apart
    from the process that ran a job; empty where /proc is not available."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def this_worker() -> str:
    """This process, as written on the jobs it runs."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_process_start(pid)}"


def worker_alive(worker: str) -> bool:
    """Whether the process that claimed a job still runs; another host's processes are taken to be
    alive, since nothing here can look at them."""
    host, pid_text, started = worker.rsplit(":", 2)
    if host != socket.gethostname():
        return True
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process, alive
    return _process_start(pid) == started


class JobRunner:
    """Runs jobs one per kind at a time across every process sharing the database; the job table
    holds their state, so any worker can show it and a restart leaves no ghost."""

    def __init__(self, uow: Callable[[], UnitOfWork]) -> None:
        self._uow = uow
        self.worker = this_worker()

    def run(
        self,
        kind: str,
        requested_by: str | None,
        arguments: dict[str, Any],
        work: Work[R],
        stage: Progress | None = None,
    ) -> R:
        """Run the work in this thread as a job (JobRefused while another of its kind is active);
        its unit of work is committed when it succeeds."""
        job_id = self._claim(kind, requested_by, arguments)
        return self._execute(job_id, work, stage)

    def start(
        self, kind: str, requested_by: str | None, arguments: dict[str, Any], work: Work[R]
    ) -> int:
        """Queue the work as a job and run it in a background thread; returns the job's id."""
        job_id = self._claim(kind, requested_by, arguments)
        threading.Thread(
            target=self._background, args=(job_id, work), name=f"job-{job_id}", daemon=True
        ).start()
        return job_id

    def recover(self) -> list[int]:
        """Mark as failed every active job whose process died (a server starting calls this)."""
        with self._uow() as uow:
            active = uow.session.scalars(select(Job).where(Job.status.in_(ACTIVE))).all()
            ghosts = [job for job in active if not worker_alive(job.worker)]
            for job in ghosts:
                job.status = JobStatus.FAILED
                job.finished_at = utcnow()
                job.error = _(
                    "The process that ran it ({worker}) stopped before it finished; start it again."
                ).format(worker=job.worker)
            uow.commit()
        return [job.id for job in ghosts]

    def _claim(self, kind: str, requested_by: str | None, arguments: dict[str, Any]) -> int:
        """Insert the job as queued; the database refuses a second active job of the kind, unless
        the active one is a ghost, which is marked failed first."""
        try:
            return self._insert(kind, requested_by, arguments)
        except IntegrityError:
            self.recover()
        try:
            return self._insert(kind, requested_by, arguments)
        except IntegrityError:
            with self._uow() as uow:
                running = uow.session.scalar(
                    select(Job).where(Job.kind == kind, Job.status.in_(ACTIVE))
                )
            raise JobRefused(running) from None

    def _insert(self, kind: str, requested_by: str | None, arguments: dict[str, Any]) -> int:
        """The job's row, committed at once so every process sees it."""
        with self._uow() as uow:
            job = Job(
                kind=kind,
                status=JobStatus.QUEUED,
                arguments=arguments,
                requested_by=requested_by,
                worker=self.worker,
                stages=[],
            )
            uow.session.add(job)
            uow.commit()
            return job.id

    def _background(self, job_id: int, work: Work[Any]) -> None:
        """The work in its thread; a failure is written on the job's row, not raised."""
        try:
            self._execute(job_id, work, None)
        except Exception:
            log.exception("job %s failed", job_id)

    def _execute(self, job_id: int, work: Work[R], stage: Progress | None) -> R:
        """Run the work in a unit of work of its own, noting each stage on the job's row."""
        stages: list[str] = []
        self._write(job_id, status=JobStatus.RUNNING, started_at=utcnow())
        try:
            with self._uow() as uow:

                def progress(name: str) -> None:
                    stages.append(name)
                    if stage:
                        stage(name)
                    if not _holds_sqlite_lock(uow):
                        self._write(job_id, stage=name, stages=list(stages))

                result = work(uow, progress)
                uow.commit()
        except BaseException as exc:
            failed = dict(stages=stages, error=str(exc) or exc.__class__.__name__)
            try:
                self._write(job_id, status=JobStatus.FAILED, finished_at=utcnow(), **failed)
            except SQLAlchemyError:  # the database itself failed: a later recover() marks it
                log.exception("job %s: could not record its failure", job_id)
            raise
        self._write(
            job_id,
            status=JobStatus.DONE,
            finished_at=utcnow(),
            stages=stages,
            stage=stages[-1] if stages else None,
            result=result.summary(),
        )
        return result

    def _write(self, job_id: int, **values: Any) -> None:
        """Change the job's row in a short unit of its own, so every process sees it at once."""
        with self._uow() as uow:
            uow.session.execute(update(Job).where(Job.id == job_id).values(**values))
            uow.commit()


def _holds_sqlite_lock(uow: UnitOfWork) -> bool:
    """Whether the work's unit already holds SQLite's write lock: a stage noted from another
    connection would then wait for this very thread, so it is kept for the final write."""
    session = uow.session
    bind = session.bind
    return isinstance(bind, Engine) and bind.dialect.name == "sqlite" and session.in_transaction()


def latest_job(uow: UnitOfWork, kind: str) -> Job | None:
    """The last job of a kind, for the page or API that follows it."""
    return uow.session.scalar(select(Job).where(Job.kind == kind).order_by(Job.id.desc()).limit(1))
