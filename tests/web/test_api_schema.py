"""Schemathesis against the live OpenAPI document: generated requests to every operation, on
SQLite and PostgreSQL, must never get a 5xx and every response must match the documented schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import select

from tierwise.bootstrap import bootstrap
from tierwise.config import Settings
from tierwise.db.base import utcnow
from tierwise.identity import accounts
from tierwise.identity.models import User
from tierwise.server import create_app

from ..support.api_world import World, build_world
from ..support.postgres import database_for

EXAMPLES_PER_OPERATION = 40
FUZZ_ADMIN = "fuzz-admin-7f3a9c"  # a name no generated path parameter will hit

# The document is read once from an app on a placeholder database; each database's world is
# plugged into the same app before its cases run.
API = create_app(bootstrap(Settings(database_url="sqlite://", demo=True)))
schema = (
    schemathesis.openapi.from_asgi("/openapi.json", API)
    # A recompute takes seconds and has its own tests; revoking tokens by a generated id could
    # revoke the fuzzer's own.
    .exclude(path="/api/v1/recompute-runs", method="POST")
    .exclude(path="/api/v1/tokens/{token_id}", method="DELETE")
)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[World, str]]:
    """A world of its own (generated writes stay), and an admin token no generated call revokes."""
    url = database_for(request.param, "tierwise_test_fuzz", str(tmp_path_factory.mktemp("fuzz")))
    world = build_world(url, customers=150)
    with world.app.uow() as uow:
        user = accounts.add_user(uow.session, FUZZ_ADMIN, "fuzz", "admin", "a-long-fuzz-password")
        _token, raw = accounts.issue_token(uow.session, user, "fuzz", [], 30, utcnow())
        uow.commit()
    API.state.tierwise = world.app
    yield world, raw
    world.app.engine.dispose()


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case, fuzzed: tuple[World, str]) -> None:  # type: ignore[no-untyped-def]
    _world, token = fuzzed
    # Domain rules (an unknown customer, a wrong current password, a policy that does not parse)
    # rightly refuse some schema-valid requests, so that one check is left out; every other
    # check runs, including that schema-violating requests are refused.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[positive_data_acceptance],
    )


def test_the_fuzzing_admin_survived(fuzzed: tuple[World, str]) -> None:
    world, _token = fuzzed
    with world.app.uow() as uow:
        assert uow.session.scalar(select(User.active).where(User.username == FUZZ_ADMIN))
