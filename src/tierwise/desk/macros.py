"""Canned replies (macros) from the organisation rules: a reply for the customer and a move."""

from __future__ import annotations

import datetime as dt

from tierwise.db.session import UnitOfWork
from tierwise.desk.usecases import move_ticket, visible_ticket
from tierwise.desk.work import comment_on
from tierwise.desk.workflow import TicketStatus
from tierwise.i18n import _
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.organisation.rules import Macro, OrgRules
from tierwise.organisation.service import active_rules


def macros_for(rules: OrgRules, kind: str, tier: str | None) -> list[Macro]:
    """The macros offered for a ticket of this kind and tier (a macro naming no tiers fits all)."""
    return [m for m in rules.macros if kind in m.kinds and (not m.tiers or tier in m.tiers)]


def apply_macro(
    uow: UnitOfWork, principal: Principal, zone: str, ticket_id: int, name: str, now: dt.datetime
) -> Macro:
    """Reply to the customer with a macro of the ticket's kind and tier and make its move, if
    any, through the move use case (an illegal or incomplete move refuses the whole macro)."""
    require(principal, Permission.TICKETS_WRITE)
    ticket = visible_ticket(uow.session, principal, ticket_id)
    offered = macros_for(active_rules(uow.connection), ticket.kind.value, ticket.tier)
    macro = next((m for m in offered if m.name == name), None)
    if macro is None:
        raise ValueError(
            _("macro: {name} is not offered for this ticket; offered: {offered}").format(
                name=name, offered=", ".join(m.name for m in offered) or _("none")
            )
        )
    comment_on(uow, principal, ticket_id, macro.reply, False, now)
    if macro.move_to is not None:
        try:
            target = TicketStatus(macro.move_to)
        except ValueError:
            raise ValueError(
                _("macro {name} moves to {status}, which is no ticket status").format(
                    name=macro.name, status=macro.move_to
                )
            ) from None
        move_ticket(uow, principal, zone, ticket_id, target, None, None)
    return macro
