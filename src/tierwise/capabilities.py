"""Every capability and what it gives the roofs, in one list: the server mounts these routers and
pages, the command line registers these commands. A new capability is its folder plus one entry."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from types import ModuleType


@dataclass(frozen=True)
class Capability:
    """A capability's modules the roofs load: API routers, console pages, command groups."""

    name: str
    api: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    commands: tuple[str, ...] = ()


# In the order the command line lists them and the server mounts them.
CAPABILITIES = (
    Capability("admin", api=("api",), pages=("pages",), commands=("database_cli", "cli")),
    Capability("imports", api=("api",), pages=("pages",), commands=("cli",)),
    Capability("customers", api=("api",), pages=("pages", "forms"), commands=("cli",)),
    Capability("analytics", api=("api",), pages=("pages",), commands=("cli",)),
    Capability(
        "tiering",
        api=("api", "statement_api"),
        pages=("pages", "statement_pages"),
        commands=("recompute_cli", "cli", "rewards_cli"),
    ),
    Capability("sales", api=("api",), pages=("pages",), commands=("cli",)),
    Capability("accountability", api=("api",), pages=("pages",), commands=("cli", "scorecard_cli")),
    Capability("desk", api=("api",), pages=("pages",), commands=("cli", "tickets_cli")),
    Capability("notices", api=("api",), pages=("pages",), commands=("cli",)),
    Capability("dashboard", pages=("",)),
    Capability("demo", commands=("cli",)),
)


def modules(part: str) -> list[ModuleType]:
    """Every capability's modules of one part ("api", "pages" or "commands"), in list order."""
    found = []
    for capability in CAPABILITIES:
        for name in getattr(capability, part):
            found.append(import_module(".".join(filter(None, ("tierwise", capability.name, name)))))
    return found
