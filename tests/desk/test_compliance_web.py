"""SLA compliance and the forecast over HTTP and the command line on the demo world, both
databases: an agent reads their own figures and no team's, a manager their team's, the API, the
page and the command line agree, the CSV reads in Chinese for a Chinese reader, bad periods are
refused, and the staffing page draws the forecast as a heat map."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tierwise.cli import build
from tierwise.identity.models import User
from tierwise.organisation.models import Staff

from ..support.api_world import World, password_for, rolled_back_client

API = "/api/v1/service/compliance"
OCTOBER = "from=2026-10-01&to=2026-10-31"


def bearer(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def staff_of(world: World, username: str) -> Staff:
    """The staff member behind a world user."""
    with world.app.uow(reads=True) as uow:
        staff_id = uow.session.scalar(select(User.staff_id).where(User.username == username))
        found = uow.session.get(Staff, staff_id)
        assert found is not None
        return found


def sign_in(client: TestClient, username: str) -> None:
    signed = client.post(
        "/api/v1/session", json={"username": username, "password": password_for(username)}
    )
    assert signed.status_code == 200, signed.text


def test_an_agent_reads_their_own_figures_and_no_teams(world: World) -> None:
    csr = staff_of(world, "csr")
    with rolled_back_client(world) as client:
        mine = client.get(f"{API}?{OCTOBER}", headers=bearer(world, "csr"))
        assert mine.status_code == 200, mine.text
        assert [row["name"] for row in mine.json()] == [csr.name]
        teams = client.get(f"{API}?{OCTOBER}&by=team", headers=bearer(world, "csr"))
        assert teams.status_code == 403
        assert "team figures are for managers" in teams.json()["detail"]
        analyst = client.get(f"{API}?{OCTOBER}", headers=bearer(world, "analyst"))
        assert analyst.status_code == 403


def test_a_manager_reads_their_team_and_the_figures_add_up(world: World) -> None:
    team = staff_of(world, "manager").team
    with rolled_back_client(world) as client:
        manager = bearer(world, "manager")
        agents = client.get(f"{API}?{OCTOBER}", headers=manager).json()
        assert agents and {row["team"] for row in agents} == {team}
        [mine] = client.get(f"{API}?{OCTOBER}&by=team", headers=manager).json()
        assert (mine["name"], mine["agents"]) == (team, len(agents))
        for figure in ("first_due", "resolution_due", "breaches", "calls_answered"):
            assert mine[figure] == sum(row[figure] for row in agents)
        everyone = client.get(f"{API}?{OCTOBER}", headers=bearer(world, "admin")).json()
        assert len(everyone) > len(agents)
        backwards = client.get(f"{API}?from=2026-10-31&to=2026-10-01", headers=manager)
        assert backwards.status_code == 422
        assert "To: 2026-10-01 is before From: 2026-10-31" in backwards.text


def test_the_page_and_its_csv_in_chinese(world: World) -> None:
    with rolled_back_client(world) as client:
        sign_in(client, "manager")
        agents = client.get(f"{API}?{OCTOBER}", headers=bearer(world, "manager")).json()
        page = client.get(f"/service/compliance?{OCTOBER}")
        assert page.status_code == 200 and 'id="compliance"' in page.text
        assert all(row["name"] in page.text for row in agents)
        download = client.get(
            f"/service/compliance.csv?{OCTOBER}", headers={"Accept-Language": "zh-CN"}
        )
        assert download.status_code == 200
        assert download.headers["content-type"].startswith("text/csv")
        text = download.content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][:4] == ["客服人员", "团队", "应首次响应", "首次响应按时"]
        first = agents[0]
        assert rows[1][:4] == [
            first["name"],
            first["team"],
            str(first["first_due"]),
            str(first["first_met"]),
        ]
        bad = client.get("/service/compliance?from=2026-10-41&to=2026-10-31")
        assert bad.status_code == 422
        assert "From: 2026-10-41 is not a date" in bad.text and 'value="2026-10-41"' in bad.text


def test_the_staffing_page_draws_the_forecast(world: World) -> None:
    with rolled_back_client(world) as client:
        sign_in(client, "manager")
        page = client.get("/service/staffing?date=2026-10-30&hours=4&weeks=4")
        assert page.status_code == 200
        assert 'id="forecast"' in page.text and "heatmap" in page.text
        assert "Planned from the calls that arrived on this day." in page.text
        assert 'id="forecast-source"' in page.text
        refused = client.get("/service/staffing?weeks=60")
        assert refused.status_code == 422 and "Weeks: 60 is not between 1 and 52" in refused.text


def test_the_command_line_prints_and_writes_the_same_figures(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERWISE_DATABASE_URL", world.app.settings.database_url)
    with rolled_back_client(world) as client:
        teams = client.get(f"{API}?{OCTOBER}&by=team", headers=bearer(world, "admin")).json()
    written = tmp_path / "teams.csv"
    runner = CliRunner()
    args = ["service", "compliance", "--from", "2026-10-01", "--to", "2026-10-31"]
    shown = runner.invoke(build(), [*args, "--by", "team", "--csv", str(written)])
    assert shown.exit_code == 0, shown.output
    assert "SLA compliance, 2026-10-01 to 2026-10-31" in shown.output
    rows = list(csv.reader(io.StringIO(written.read_text("utf-8-sig"))))
    assert rows[0][:3] == ["Team", "Agents", "First responses due"]
    assert [(r[0], int(r[1]), int(r[2])) for r in rows[1:]] == [
        (t["name"], t["agents"], t["first_due"]) for t in teams
    ]
    refused = runner.invoke(build(), [*args, "--by", "desk"])
    assert refused.exit_code == 1 and "By: desk is not one of agent, team" in refused.output
    forecast = runner.invoke(build(), ["service", "forecast", "--weeks", "12"])
    assert forecast.exit_code == 0, forecast.output
    assert "Calls expected per weekday and hour" in forecast.output
    assert "of the last 12" in forecast.output or "No calls in the last 12 weeks" in forecast.output
    assert runner.invoke(build(), ["service", "forecast", "--weeks", "0"]).exit_code == 1
