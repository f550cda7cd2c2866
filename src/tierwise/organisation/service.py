"""The organisation rules in force, read by every capability that serves customers by tier."""

from __future__ import annotations

from sqlalchemy import Connection, select

from tierwise.i18n import _
from tierwise.organisation.models import OrgPolicy
from tierwise.organisation.rules import OrgRules, load_rules


class NoRules(LookupError):
    """No organisation rules have been applied."""

    def __init__(self) -> None:
        super().__init__(
            _("no organisation rules yet; apply them: tierwise assign rules apply FILE")
        )


def active_rules(conn: Connection) -> OrgRules:
    """The organisation rules in force."""
    table = OrgPolicy.__table__
    row = conn.execute(select(table.c.source, table.c.version).where(table.c.active)).first()
    if row is None:
        raise NoRules()
    return load_rules(row.source, f"version {row.version}")
