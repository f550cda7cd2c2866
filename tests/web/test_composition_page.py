"""The composition page and its workbook: who may read them, what a pseudonymised reader sees,
and that taking the workbook is on record."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from tierwise.identity.models import AuditEntry

from ..support.api_world import World, password_for, rolled_back_client

TITLES = ("Biggest customers", "Customers lost", "Complaints in", "Tiers in", "Product mix")


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with rolled_back_client(world) as c:
        yield c


def signed_in(client: TestClient, username: str) -> TestClient:
    response = client.post(
        "/api/v1/session", json={"username": username, "password": password_for(username)}
    )
    assert response.status_code == 200, response.text
    client.get("/lang/en")
    return client


def test_a_manager_reads_every_section_and_takes_the_workbook(
    client: TestClient, world: World
) -> None:
    page = signed_in(client, "manager").get("/composition?year=2025&top=3")
    assert page.status_code == 200, page.text
    for title in TITLES:
        assert title in page.text, title
    assert 'href="/composition.xlsx?year=2025&amp;top=3"' in page.text
    download = client.get("/composition.xlsx?year=2025&top=3")
    assert download.status_code == 200
    assert 'filename="composition-2025.xlsx"' in download.headers["content-disposition"]
    book = load_workbook(io.BytesIO(download.content), read_only=True)
    assert len(book.sheetnames) == len(TITLES)
    for place, (name, title) in enumerate(zip(book.sheetnames, TITLES, strict=True), 1):
        assert name.startswith(f"{place} {title}"), name
    biggest = list(book.worksheets[0].iter_rows(values_only=True))
    assert biggest[0] == ("Biggest customers by sales in 2025",)
    assert biggest[1][:3] == ("customer code", "customer", "tier")
    assert 1 <= len(biggest) - 2 - 1 <= 3  # at most the top three, and a note under them
    app = world.api.state.tierwise  # the client's own unit of work, rolled back after the test
    with app.uow() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.resource == "report").order_by(AuditEntry.id.desc())
        ).first()
    assert entry is not None and (entry.actor, entry.action, entry.resource_id) == (
        "manager",
        "export",
        "composition",
    )


def test_an_analyst_sees_the_tiers_only_and_a_csr_not_at_all(client: TestClient) -> None:
    page = signed_in(client, "analyst").get("/composition?year=2025")
    assert page.status_code == 200, page.text
    assert "Tiers in 2025" in page.text and "Product mix" in page.text
    assert "Biggest customers by sales" not in page.text and "Complaints in" not in page.text


def test_a_csr_may_not_read_it(client: TestClient) -> None:
    signed_in(client, "csr")
    assert client.get("/composition").status_code == 403
    assert client.get("/composition.xlsx").status_code == 403
