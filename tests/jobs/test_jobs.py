"""Background work through the one job runner: its state in the jobs table, one recompute at a time
across processes, no ghost after a restart, the same steps from the CLI, API, console and demo."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tierwise.analytics.service import RECOMPUTE
from tierwise.bootstrap import App, recompute_steps
from tierwise.cli import build as build_cli
from tierwise.jobs.models import Job, JobStatus
from tierwise.jobs.runner import JobRefused, latest_job
from tierwise.server import create_app

from ..support.api_world import World, password_for

API = "/api/v1"
AS_OF = "2026-11-01"
# Another process that claims a recompute job, passes two stages, and holds it until its stdin
# closes (or it is killed).
HOLDER = """
import sys
from tierwise.bootstrap import bootstrap
from tierwise.config import Settings

class Held:
    def summary(self):
        return {"held": True}

def work(uow, progress):
    progress("extract")
    progress("indicators")
    print("running", flush=True)
    sys.stdin.read()
    return Held()

app = bootstrap(Settings(database_url=sys.argv[1]))
app.jobs.run("recompute", "holder", {"as_of": "2026-11-01", "engine": "duckdb"}, work)
print("done", flush=True)
"""
# The recompute's stages as every entry point passes them.
STAGES = ["extract", "indicators", "models", "rules", "tiers", "store", "done"]


def url_of(app: App) -> str:
    """The database URL with its password, for a child process."""
    return app.engine.url.render_as_string(hide_password=False)


@contextmanager
def held_elsewhere(world: World) -> Iterator[subprocess.Popen[str]]:
    """A recompute job running in another process until the block ends."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url_of(world.app)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        assert child.stdout.readline().strip() == "running"
        yield child
    finally:
        if child.poll() is None:
            child.stdin.close()
            child.wait(timeout=60)


def signed_in(world: World, username: str) -> tuple[TestClient, str]:
    """A console client on the committed world (background work needs committed data)."""
    client = TestClient(world.api)
    r = client.post(
        f"{API}/session", json={"username": username, "password": password_for(username)}
    )
    assert r.status_code == 200, r.text
    return client, r.json()["csrf_token"]


def bearer(world: World, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[user]}"}


def last_recompute(world: World) -> Job:
    with world.app.uow() as uow:
        job = latest_job(uow, RECOMPUTE)
    assert job is not None
    return job


def finished(world: World, timeout: float = 180) -> Job:
    """The latest recompute job once it has ended."""
    deadline = time.monotonic() + timeout
    while (job := last_recompute(world)).status in (JobStatus.QUEUED, JobStatus.RUNNING):
        assert time.monotonic() < deadline, f"job {job.id} still {job.status}"
        time.sleep(0.2)
    return job


def test_a_second_recompute_is_refused_while_another_process_runs_one(world: World) -> None:
    with held_elsewhere(world):
        with pytest.raises(JobRefused, match="asked by holder"):
            world.app.recomputes.start(dt.date(2026, 11, 1), "manager")
        with pytest.raises(JobRefused):
            world.app.recomputes.run(dt.date(2026, 11, 1), "manager")
        assert world.app.jobs.recover() == []  # the holder is alive: not a ghost
    job = last_recompute(world)
    assert job.status == JobStatus.DONE and job.requested_by == "holder"
    assert job.stages == ["extract", "indicators"] and job.result == {"held": True}


def test_a_job_whose_process_died_is_marked_failed_when_a_server_starts(world: World) -> None:
    with held_elsewhere(world) as child:
        child.kill()
        child.wait(timeout=30)
    ghost = last_recompute(world)
    assert ghost.status == JobStatus.RUNNING  # nobody wrote its end
    with TestClient(create_app(world.app)):  # a server starting
        pass
    failed = last_recompute(world)
    assert failed.id == ghost.id and failed.status == JobStatus.FAILED
    assert failed.error and "stopped before it finished" in failed.error
    assert failed.finished_at is not None
    assert world.app.recomputes.run(dt.date(2026, 11, 1), "manager").customers > 0


def test_the_console_and_the_api_show_a_running_recompute_from_the_table(world: World) -> None:
    client, csrf = signed_in(world, "manager")
    with held_elsewhere(world):
        page = client.get("/recompute")
        assert page.status_code == 200
        assert '<meta http-equiv="refresh"' in page.text
        passed = re.findall(r'<li class="pass">(.*?)</li>', unescape(page.text))
        assert len(passed) == 2 and "holder" in page.text
        started = client.post("/recompute", data={"as_of": AS_OF, "csrf_token": csrf})
        assert "running already" in unescape(started.text)
        jobs = client.get(f"{API}/recompute-jobs", headers=bearer(world, "manager")).json()
        assert jobs[0]["status"] == "running" and jobs[0]["stages"] == ["extract", "indicators"]
        one = client.get(f"{API}/recompute-jobs/{jobs[0]['id']}", headers=bearer(world, "admin"))
        assert one.json()["requested_by"] == "holder"
        refused = client.post(
            f"{API}/recompute-runs", json={"as_of": AS_OF}, headers=bearer(world, "manager")
        )
        assert refused.status_code == 409 and "running already" in refused.json()["detail"]
    forbidden = client.get(f"{API}/recompute-jobs", headers=bearer(world, "am"))
    assert forbidden.status_code == 403


def test_a_console_recompute_runs_in_the_background_and_its_row_tells_how_it_ended(
    world: World,
) -> None:
    client, csrf = signed_in(world, "manager")
    started = client.post("/recompute", data={"as_of": AS_OF, "csrf_token": csrf})
    assert "started" in unescape(started.text)
    job = finished(world)
    assert job.status == JobStatus.DONE and job.requested_by == "manager"
    assert job.stages == STAGES and job.result and job.result["customers"] > 0
    page = client.get("/recompute")
    assert 'id="finished"' in page.text and '<meta http-equiv="refresh"' not in page.text


def test_cli_api_console_and_demo_run_the_same_recompute_steps(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = {step.name for step in recompute_steps()}
    assert names == {"tiers"}
    with world.app.uow() as uow:  # the demo's two recomputes, played when the world was built
        demo = uow.session.scalars(
            select(Job).where(Job.kind == RECOMPUTE).order_by(Job.id).limit(2)
        ).all()
    api = world.api
    r = TestClient(api).post(
        f"{API}/recompute-runs", json={"as_of": AS_OF}, headers=bearer(world, "manager")
    )
    assert r.status_code == 201, r.text
    by_api = last_recompute(world)
    client, csrf = signed_in(world, "admin")
    client.post("/recompute", data={"as_of": AS_OF, "csrf_token": csrf})
    by_console = finished(world)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url_of(world.app))
    result = CliRunner().invoke(build_cli(), ["recompute", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    by_cli = last_recompute(world)
    assert [j.requested_by for j in (*demo, by_api, by_console)] == [None, None, "manager", "admin"]
    assert by_cli.requested_by and by_cli.requested_by.endswith("(command line)")
    for job in (*demo, by_api, by_console, by_cli):
        assert job.status == JobStatus.DONE and job.stages == STAGES
        assert job.result is not None and set(job.result["steps"]) == names
        assert job.result["steps"]["tiers"] is not None  # the world's policy graded every run
