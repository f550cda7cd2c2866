"""Whether tiering pays, judged on DOMAIN.md's three conditions with the company's own figures:
more customers than the owners can serve equally, customers who come back, and values that differ
markedly (a few customers carrying the business)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tierwise.customers.models import Customer
from tierwise.i18n import _
from tierwise.organisation.models import Staff

CLEARLY_MANY = 100  # B2B: tens of accounts → consider tiering, a hundred and more → clearly
CONSIDER_FROM = 20
REPEAT_SALES_PAYS = 0.5  # most revenue from customers who came back
TOP_CARRY_PAYS = 0.5  # the top fifth carry half the profit
DOMINANT_CUSTOMER = 0.05  # one customer above ~5% of revenue: a few dominate


@dataclass(frozen=True)
class Condition:
    """One condition for tiering to pay, whether it holds, and the figures behind it."""

    name: str
    holds: bool | None  # None: this snapshot cannot tell
    figures: str

    def __str__(self) -> str:
        return _("{name}: {figures}").format(name=self.name, figures=self.figures)

    @property
    def mark(self) -> str:
        """✓ holds, ✗ does not, ? this snapshot cannot tell."""
        return "?" if self.holds is None else "✓" if self.holds else "✗"


@dataclass(frozen=True)
class Verdict:
    """The three conditions and what they add up to."""

    conditions: list[Condition]

    @property
    def pays(self) -> bool:
        """All three hold."""
        return all(c.holds is True for c in self.conditions)

    @property
    def summary(self) -> str:
        """One sentence for the top of a report."""
        missing = [c.name for c in self.conditions if c.holds is False]
        unknown = [c.name for c in self.conditions if c.holds is None]
        if not missing and not unknown:
            return _("Tiering pays: all three conditions hold.")
        if not missing:
            return _("Tiering may pay; this snapshot cannot tell whether {names}.").format(
                names=_(" and ").join(unknown)
            )
        if len(missing) == 1:
            return _("Tiering may pay, but one condition does not hold: {name}.").format(
                name=missing[0]
            )
        return _("Tiering does not pay yet: {names} do not hold.").format(
            names=_(" and ").join(missing)
        )


def owners_span(session: Session) -> tuple[int, float | None]:
    """Active owners of customers now, and their mean capacity where it is set."""
    owners = select(Customer.owner_id).where(Customer.owner_id.is_not(None)).distinct()
    count, capacity = session.execute(
        select(func.count(Staff.id), func.avg(Staff.capacity)).where(
            Staff.id.in_(owners), Staff.active.is_(True)
        )
    ).one()
    return int(count), None if capacity is None else float(capacity)


def judge(headline: dict[str, Any], owners: int, capacity: float | None) -> Verdict:
    """The verdict on one snapshot's headline and the owners serving its customers."""
    buyers = int(headline["buyers"])
    per_owner = buyers / owners if owners else float(buyers)
    over_capacity = capacity is not None and per_owner > capacity
    span = Condition(
        _("more customers than the owners can serve equally"),
        buyers >= CLEARLY_MANY or over_capacity,
        _("{buyers} buying customers; {per_owner:.0f} per owner ({owners} owners)").format(
            buyers=buyers, per_owner=per_owner, owners=owners
        )
        + (
            _(", against a capacity of {capacity:.0f} each").format(capacity=capacity)
            if capacity is not None
            else ""
        )
        + (
            _(" — tens of accounts: worth considering")
            if CONSIDER_FROM <= buyers < CLEARLY_MANY and not over_capacity
            else ""
        ),
    )
    repeat_sales = headline.get("repeat_sales_share")
    repeat_buyers = headline.get("repeat_buyers_share")
    repeat = Condition(
        _("customers buy repeatedly"),
        None
        if "repeat_sales_share" not in headline
        else repeat_sales is not None and repeat_sales >= REPEAT_SALES_PAYS,
        _("not in this snapshot: recompute to see it")
        if "repeat_sales_share" not in headline
        else _("nobody has bought yet")
        if repeat_sales is None
        else _(
            "{sales:.0%} of purchase value from repeat purchases; {buyers:.0%} of buyers came back"
        ).format(sales=repeat_sales, buyers=repeat_buyers or 0),
    )
    top = headline.get("top_profit_share") or 0
    largest = headline.get("largest_customer_sales_share") or 0
    spread = Condition(
        _("customer values differ markedly"),
        top >= TOP_CARRY_PAYS or largest > DOMINANT_CUSTOMER,
        _(
            "the top {top_share:.0%} carry {top:.0%} of profit; the largest customer brings "
            "{largest:.1%} of sales"
        ).format(top_share=headline["top_share"], top=top, largest=largest),
    )
    return Verdict([span, repeat, spread])


def when_tiering_pays(session: Session, headline: dict[str, Any]) -> Verdict:
    """The verdict on a snapshot, with the owners the customer file has today."""
    owners, capacity = owners_span(session)
    return judge(headline, owners, capacity)
