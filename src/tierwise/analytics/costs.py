"""Cost-to-serve: what each customer costs us beyond the goods (contacts, visits, tickets,
complaints, returns handled, credit, rewards), priced by the unit costs of the parameters."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from tierwise.analytics.params import COST_KINDS as KINDS
from tierwise.analytics.params import CostRates
from tierwise.organisation.choices import InteractionChannel


def _by_channel(channel: ir.StringValue, values: dict[str, float]) -> ir.FloatingValue:
    """A per-channel constant as an expression every engine runs."""
    return ibis.cases(*((channel == c, v) for c, v in values.items()), else_=0.0).cast("float64")


def cost_to_serve(
    lines: ir.Table,
    contacts: ir.Table,
    credit: ir.Table,
    events: ir.Table,
    rates: CostRates,
    as_of: dt.date,
) -> ir.Table:
    """Each served customer's cost by kind and in total, from the facts up to the as-of date."""
    minutes = contacts.logged_minutes.fill_null(0.0) + contacts.unlogged * _by_channel(
        contacts.channel, rates.minutes
    )
    priced = minutes * _by_channel(contacts.channel, rates.per_minute)
    visit = contacts.channel == InteractionChannel.VISIT.value
    by_contact = contacts.group_by("customer_id").aggregate(
        cost_contacts=priced.sum(where=~visit), cost_visits=priced.sum(where=visit)
    )
    returns = lines.filter(lines.is_return)
    by_return = returns.group_by("customer_id").aggregate(
        cost_returns=returns.order_id.nunique().cast("float64") * rates.return_handled
    )
    # Money owed on credit, day by day up to the due date or the as-of date: a return of an
    # order on credit carries its due date and owes back from the day it came back.
    owed = lines.group_by("order_id").aggregate(owed=lines.amount.sum())
    on_credit = credit.join(owed, "order_id")
    until = ibis.least(on_credit.due_on, ibis.date(as_of))
    days = ibis.greatest(until.delta(on_credit.order_date, unit="day").cast("float64"), 0.0)
    yuan_days = on_credit.group_by("customer_id").aggregate(owed_days=(on_credit.owed * days).sum())
    by_credit = yuan_days.select(
        "customer_id",
        cost_credit=ibis.greatest(yuan_days.owed_days, 0.0) / 365.0 * rates.credit_rate,
    )
    unit = {"ticket": rates.ticket, "complaint": rates.complaint}
    event_cost = events.quantity * _by_channel(events.kind, unit) + events.value.fill_null(0.0)
    by_event = events.group_by("customer_id").aggregate(
        cost_tickets=event_cost.sum(where=events.kind == "ticket"),
        cost_complaints=event_cost.sum(where=events.kind == "complaint"),
        cost_rewards=event_cost.sum(where=events.kind == "reward"),
    )
    parts = [by_contact, by_return, by_credit, by_event]
    ids = ibis.union(*(part.select("customer_id") for part in parts), distinct=True)
    table = ids
    for part in parts:
        table = table.left_join(part, "customer_id").drop("customer_id_right")
    filled = {f"cost_{k}": table[f"cost_{k}"].fill_null(0.0) for k in KINDS}
    total = sum(filled.values(), ibis.literal(0.0))
    return table.mutate(**filled, cost_to_serve=total)


def net_profit(table: ir.Table) -> ir.FloatingValue:
    """Gross profit less cost-to-serve: unknown where a buyer's product margin is unknown; a
    customer who never bought but was served costs what serving it took."""
    cost = table.cost_to_serve.fill_null(0.0)
    never_bought = table.orders.isnull() | (table.orders == 0)
    gross = ibis.ifelse(never_bought, table.gross_profit.fill_null(0.0), table.gross_profit)
    return (gross - cost).cast("float64")
