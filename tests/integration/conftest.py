"""The API world, built once per database kind and shared by the HTTP API tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ..postgres import database_for
from .api_world import World, build_world


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A committed demo world; tests change it only through rolled-back clients."""
    url = database_for(request.param, "tierwise_test_api", str(tmp_path_factory.mktemp("api")))
    built = build_world(url)
    yield built
    built.app.engine.dispose()
