"""Every capability and what it gives the roofs, in one list: the server mounts these routers and
pages and shows these sections, the command line registers these commands, the composition root
runs these recompute steps. A new capability is its folder plus one entry."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType
from typing import Any

from tierwise.i18n import N_
from tierwise.identity.roles import Permission
from tierwise.web.render import Section


@dataclass(frozen=True)
class Capability:
    """What a capability gives the roofs: modules to load, console sections, recompute steps."""

    name: str
    api: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()
    navigation: tuple[Section, ...] = ()
    recompute: tuple[str, ...] = ()  # "module:attribute" of each step, built afresh for every run
    service_events: tuple[str, ...] = ()  # "module:attribute" of what serving customers took

    def module(self, name: str) -> ModuleType:
        """One of its modules by its name in the folder ("" for a capability that is one module)."""
        return import_module(".".join(filter(None, ("tierwise", self.name, name))))

    def attribute(self, reference: str) -> Any:
        """What a "module:attribute" reference names, imported only when a roof asks for it."""
        module, _, attribute = reference.partition(":")
        return getattr(self.module(module), attribute)


# In the order the command line lists them and the server mounts them; a section's place, not
# this order, sets where it stands in the navigation.
CAPABILITIES = (
    Capability(
        "admin",
        api=("api",),
        pages=("pages",),
        commands=("database_cli", "cli"),
        navigation=(Section("/admin", N_("Admin"), Permission.AUDIT_READ, place=90),),
    ),
    Capability(
        "imports",
        api=("api",),
        pages=("pages",),
        commands=("cli",),
        navigation=(Section("/imports", N_("Imports"), Permission.IMPORTS_RUN, place=70),),
    ),
    Capability(
        "customers",
        api=("api",),
        pages=("pages", "forms"),
        commands=("cli",),
        navigation=(
            Section("/customers", N_("Customer list"), Permission.CUSTOMERS_READ, place=20),
        ),
    ),
    Capability(
        "analytics",
        api=("api",),
        pages=("pages",),
        commands=("cli", "validate_cli"),
        navigation=(
            Section("/composition", N_("Composition"), Permission.REPORTS_READ, place=15),
            Section("/recompute", N_("Recompute"), Permission.RECOMPUTE_RUN, place=80),
        ),
    ),
    Capability(
        "tiering",
        api=("api", "statement_api"),
        pages=("pages", "statement_pages"),
        commands=("recompute_cli", "cli", "rewards_cli"),
        navigation=(Section("/policy", N_("Tier policy"), Permission.TIERS_READ, place=60),),
        recompute=("service:TierStep",),
        service_events=("rewards:service_events",),
    ),
    Capability("sales", api=("api",), pages=("pages",), commands=("cli",)),
    Capability(
        "accountability",
        api=("api",),
        pages=("pages", "my_day_pages"),
        commands=("cli", "scorecard_cli"),
        navigation=(
            # Whoever works customers (logs contacts with them) has a day; analysts do not.
            Section("/my-day", N_("My day"), Permission.INTERACTIONS_WRITE, place=12),
            Section("/portfolio", N_("My portfolio"), Permission.TASKS_READ, place=30),
        ),
    ),
    Capability(
        "desk",
        api=(
            "api",
            "calls_api",
            "compliance_api",
            "entitlements_api",
            "notifications_api",
            "ticket_api",
        ),
        pages=(
            "desk_pages",
            "pages",
            "staffing_pages",
            "compliance_pages",
            "inbox_pages",
            "ticket_pages",
        ),
        commands=("cli", "tickets_cli"),
        service_events=("costs:service_events",),
        navigation=(
            Section("/service", N_("Service desk"), Permission.QUEUE_WORK, place=50),
            Section("/service/tickets", N_("Tickets"), Permission.TICKETS_READ, place=55),
        ),
    ),
    Capability(
        "notices",
        api=("api",),
        pages=("pages",),
        commands=("cli",),
        navigation=(Section("/notices", N_("Notices"), Permission.CUSTOMERS_WRITE, place=40),),
    ),
    Capability(
        "dashboard",
        pages=("",),
        navigation=(Section("/", N_("Dashboard"), Permission.REPORTS_READ, place=10),),
    ),
    Capability("demo", commands=("cli",)),
)


def modules(part: str) -> list[ModuleType]:
    """Every capability's modules of one part ("api", "pages" or "commands"), in list order."""
    return [
        capability.module(name) for capability in CAPABILITIES for name in getattr(capability, part)
    ]


def navigation() -> tuple[Section, ...]:
    """The console's sections, every capability's, by their place."""
    sections = (section for capability in CAPABILITIES for section in capability.navigation)
    return tuple(sorted(sections, key=lambda section: section.place))
