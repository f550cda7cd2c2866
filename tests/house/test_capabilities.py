"""The one list of capabilities holds: every module it names loads, every section can be shown."""

from __future__ import annotations

import pytest

from tierwise.bootstrap import recompute_steps
from tierwise.capabilities import CAPABILITIES, Capability, navigation
from tierwise.identity.roles import DEFAULT_ROLES, Permission

PARTS = {"api": "router", "pages": "router", "commands": "register"}
LISTED = [
    (capability, part, name)
    for capability in CAPABILITIES
    for part in PARTS
    for name in getattr(capability, part)
]


@pytest.mark.parametrize(
    ("capability", "part", "name"),
    LISTED,
    ids=[f"{c.name}.{name or '<module>'}" for c, _, name in LISTED],
)
def test_every_listed_module_imports_with_what_its_roof_needs(
    capability: Capability, part: str, name: str
) -> None:
    assert hasattr(capability.module(name), PARTS[part])


def test_every_section_needs_a_permission_some_role_grants() -> None:
    granted = {
        permission
        for permissions, _scope, _fields in DEFAULT_ROLES.values()
        for permission in permissions
    }
    for section in navigation():
        assert section.permission in Permission, section
        assert section.permission.value in granted, section


def test_every_section_is_a_page_of_its_own_capability() -> None:
    for capability in CAPABILITIES:
        served = {
            route.path
            for name in capability.pages
            for route in capability.module(name).router.routes
            if "GET" in getattr(route, "methods", ())
        }
        for section in capability.navigation:
            assert section.path in served, (capability.name, section.path)


def test_no_two_sections_share_a_place_or_a_path() -> None:
    sections = navigation()
    assert len({s.place for s in sections}) == len({s.path for s in sections}) == len(sections)


def test_every_declared_recompute_step_is_built_afresh_for_each_run() -> None:
    declared = [step for capability in CAPABILITIES for step in capability.recompute]
    first, second = recompute_steps(), recompute_steps()
    assert len(first) == len(declared) > 0
    assert [step.name for step in first] == [step.name for step in second]
    assert all(a is not b for a, b in zip(first, second, strict=True))
