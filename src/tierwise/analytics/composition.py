"""Customer composition and contribution (客户构成): who the biggest customers are, who was lost,
who complained, and what each tier spends, buys and earns — the questions a manager asks first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select
from sqlalchemy.orm import Session

from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.analytics.reports import Report
from tierwise.customers.choices import ChurnType, CustomerStatus
from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.sales.models import Order, OrderLine, Product

YEARS_SHOWN = 3
CENT = Decimal("0.01")


@dataclass(frozen=True)
class CompositionAsked:
    """The composition report of a year is being put together; the desk adds who complained in
    it and how each complaint ended (analytics cannot read the desk, which sits above it)."""

    year: int
    as_of: dt.date
    principal: Principal


@dataclass(frozen=True)
class Composition:
    """The sections of the composition report of one year, as of a snapshot."""

    year: int
    as_of: dt.date
    sections: list[Report]


def default_year(as_of: dt.date) -> int:
    """The last whole calendar year up to the snapshot: "last year" unless it is 31 December."""
    return as_of.year if (as_of.month, as_of.day) == (12, 31) else as_of.year - 1


def money(value: Any) -> Decimal:
    """A sum of amounts as money, whatever type the database handed back."""
    return Decimal(str(value or 0)).quantize(CENT)


def _share(part: Decimal | None, whole: Decimal) -> float | None:
    return None if part is None or not whole else float(part / whole)


def _in_year(year: int, as_of: dt.date, first: int | None = None) -> ColumnElement[bool]:
    """Orders dated in the calendar year (or from the `first` year through it), up to the
    snapshot's date."""
    end = min(dt.date(year, 12, 31), as_of)
    return and_(Order.order_date >= dt.date(first or year, 1, 1), Order.order_date <= end)


def _sales(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, OrderLine.amount), else_=0))


def _profit(condition: ColumnElement[bool]) -> Any:
    costed = and_(condition, OrderLine.cost.is_not(None))
    return func.sum(case((costed, OrderLine.amount - OrderLine.cost), else_=0))


def _costed_sales(condition: ColumnElement[bool]) -> Any:
    return _sales(and_(condition, OrderLine.cost.is_not(None)))


def _lines() -> Any:
    return (
        select()
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
    )


def company_sales(session: Session, year: int, as_of: dt.date) -> Decimal:
    """The whole company's sales in the year, net of returns: the base of every share."""
    total = session.scalar(_lines().add_columns(_sales(_in_year(year, as_of))))
    return money(total)


def biggest_customers(
    session: Session, run: AnalyticsRun, principal: Principal, year: int, top: int
) -> Report:
    """The top customers by the year's sales, with the two years before, the product lines and
    departments that bought in the year, and their share of the company's sales."""
    years = list(range(year - YEARS_SHOWN + 1, year + 1))
    sums = [_sales(_in_year(y, run.as_of)).label(f"y{y}") for y in years]
    ranked = session.execute(
        _lines()
        .add_columns(Customer.id, Customer.code, Customer.name, *sums)
        .join(Customer, Customer.id == Order.customer_id)
        .where(_in_year(year, run.as_of, years[0]), customer_filter(principal))
        .group_by(Customer.id, Customer.code, Customer.name)
        .having(sums[-1] > 0)
        .order_by(sums[-1].desc(), Customer.id)
        .limit(top)
    ).all()
    ids = [r.id for r in ranked]
    sold = and_(_in_year(year, run.as_of), OrderLine.returns_order_id.is_(None))
    breadth = {
        r[0]: (r[1], r[2])
        for r in session.execute(
            _lines()
            .add_columns(
                Order.customer_id,
                func.count(distinct(Product.category)),
                func.count(distinct(Order.department)),
            )
            .where(Order.customer_id.in_(ids), sold)
            .group_by(Order.customer_id)
        )
    }
    tiers = _tiers(session, run, ids)
    whole = company_sales(session, year, run.as_of)
    rows = [
        [
            r.code,
            r.name,
            tiers.get(r.id) or "—",
            *(money(r[3 + i]) for i in range(len(years))),
            *breadth.get(r.id, (0, 0)),
            _share(money(r[-1]), whole),
        ]
        for r in ranked
    ]
    notes = []
    if rows:
        carried = sum((money(r[-1]) for r in ranked), Decimal(0))
        notes.append(
            _("These {n} customers bought {share:.1%} of the company's sales in {year}.").format(
                n=len(rows), share=_share(carried, whole) or 0, year=year
            )
        )
    return Report(
        _("Biggest customers by sales in {year}").format(year=year),
        [
            _("customer code"),
            _("customer"),
            _("tier"),
            *(_("sales {year}").format(year=y) for y in years),
            _("product lines bought"),
            _("departments buying"),
            _("share of company sales"),
        ],
        rows,
        notes,
        percent=frozenset({5 + len(years)}),
    )


def _tiers(session: Session, run: AnalyticsRun, ids: list[int]) -> dict[int, str | None]:
    ci = CustomerIndicator
    query = select(ci.customer_id, ci.tier).where(ci.run_id == run.id, ci.customer_id.in_(ids))
    return {r[0]: r[1] for r in session.execute(query)}


def lost_customers(session: Session, run: AnalyticsRun, principal: Principal, year: int) -> Report:
    """Customers lost whose last purchase fell in the year: churned on file or by the model
    (P(alive) < 0.2), with what they bought and earned that year and why they left, when known."""
    ci, in_year = CustomerIndicator, _in_year(year, run.as_of)
    lost = or_(Customer.status == CustomerStatus.CHURNED, ci.churned.is_(True))
    last = and_(ci.last_order >= dt.date(year, 1, 1), ci.last_order <= dt.date(year, 12, 31))
    sales, profit = _sales(in_year).label("sales"), _profit(in_year).label("profit")
    rows = session.execute(
        select(
            Customer.code,
            Customer.name,
            Customer.status,
            Customer.churn_type,
            ci.tier,
            ci.last_order,
            sales,
            profit,
        )
        .select_from(ci)
        .join(Customer, Customer.id == ci.customer_id)
        .outerjoin(Order, and_(Order.customer_id == Customer.id, in_year))
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(ci.run_id == run.id, lost, last, customer_filter(principal))
        .group_by(
            Customer.id,
            Customer.code,
            Customer.name,
            Customer.status,
            Customer.churn_type,
            ci.tier,
            ci.last_order,
        )
        .order_by(sales.desc(), Customer.code)
    ).all()
    language = current_language()
    table = [
        [
            r.code,
            r.name,
            r.tier or "—",
            r.last_order,
            money(r.sales),
            money(r.profit),
            _("on file") if r.status is CustomerStatus.CHURNED else _("by purchase pattern"),
            ChurnType(r.churn_type).label(language) if r.churn_type else _("not known"),
        ]
        for r in rows
    ]
    whole = company_sales(session, year, run.as_of)
    lost_sales = sum((money(r.sales) for r in rows), Decimal(0))
    known = sum(1 for r in rows if r.churn_type)
    notes = [
        _(
            "{n} customers lost after buying in {year}: {sales:,.2f} of sales "
            "({share:.1%} of the company's); why is known for {known}."
        ).format(
            n=len(rows),
            year=year,
            sales=lost_sales,
            share=_share(lost_sales, whole) or 0,
            known=known,
        )
    ]
    return Report(
        _("Customers lost after buying in {year}").format(year=year),
        [
            _("customer code"),
            _("customer"),
            _("tier"),
            _("last purchase"),
            _("sales {year}").format(year=year),
            _("gross profit {year}").format(year=year),
            _("lost according to"),
            _("churn type"),
        ],
        table,
        notes,
    )


def per_tier(session: Session, run: AnalyticsRun, year: int) -> tuple[Report, Report]:
    """Per tier of the snapshot (the whole company): customers, spend per buying customer and
    gross margin in the year, and the product mix, each category's share of the tier's sales."""
    ci, in_year = CustomerIndicator, _in_year(year, run.as_of)
    snapshot = and_(ci.customer_id == Order.customer_id, ci.run_id == run.id)
    tier = ci.tier
    members = dict(
        session.execute(select(tier, func.count()).where(ci.run_id == run.id).group_by(tier)).all()
    )
    figures = session.execute(
        _lines()
        .add_columns(
            tier,
            func.count(distinct(Order.customer_id)),
            _sales(in_year),
            _profit(in_year),
            _costed_sales(in_year),
        )
        .join(ci, snapshot)
        .where(in_year)
        .group_by(tier)
    ).all()
    by_tier = {r[0]: r for r in figures}
    order = sorted(members, key=lambda t: (-money(by_tier[t][2]) if t in by_tier else 0, t or "~"))
    whole = company_sales(session, year, run.as_of)
    rows = []
    for t in order:
        _t, buyers, sales, profit, costed = by_tier.get(t, (t, 0, 0, 0, 0))
        sales = money(sales)
        rows.append(
            [
                t or _("no tier"),
                members[t],
                buyers,
                sales,
                _share(sales, whole),
                (sales / buyers).quantize(CENT) if buyers else None,
                money(profit) if costed else None,
                _share(money(profit), money(costed)) if costed else None,
            ]
        )
    figures_report = Report(
        _("Tiers in {year}: customers, spend per customer and gross margin").format(year=year),
        [
            _("tier"),
            _("customers in the tier"),
            _("buying in {year}").format(year=year),
            _("sales {year}").format(year=year),
            _("share of company sales"),
            _("spend per buying customer"),
            _("gross profit {year}").format(year=year),
            _("gross margin"),
        ],
        rows,
        [_("Gross margin counts the lines whose cost is known.")],
        percent=frozenset({4, 7}),
    )
    return figures_report, product_mix(session, run, year, order)


def product_mix(session: Session, run: AnalyticsRun, year: int, order: list[Any]) -> Report:
    """Each product category's share of every tier's sales in the year."""
    ci, in_year = CustomerIndicator, _in_year(year, run.as_of)
    category = func.coalesce(Product.category, "")
    cells = session.execute(
        _lines()
        .add_columns(ci.tier, category, _sales(in_year))
        .join(ci, and_(ci.customer_id == Order.customer_id, ci.run_id == run.id))
        .where(in_year)
        .group_by(ci.tier, category)
    ).all()
    totals: dict[str, Decimal] = {}
    for _t, c, s in cells:
        totals[c] = totals.get(c, Decimal(0)) + money(s)
    categories = sorted(totals, key=lambda c: (-totals[c], c))
    share = {(t, c): money(s) for t, c, s in cells}
    tier_sales = {
        t: sum((share.get((t, c), Decimal(0)) for c in categories), Decimal(0)) for t in order
    }
    rows = [
        [t or _("no tier"), *(_share(share.get((t, c)), tier_sales[t]) for c in categories)]
        for t in order
        if tier_sales[t]
    ]
    return Report(
        _("Product mix per tier in {year} (share of the tier's sales)").format(year=year),
        [_("tier"), *(c or _("no category") for c in categories)],
        rows,
        [],
        percent=frozenset(range(1, len(categories) + 1)),
    )


def composition(
    uow: UnitOfWork, principal: Principal, run: AnalyticsRun, year: int | None, top: int
) -> Composition:
    """The composition report of a year as of the snapshot: the named lists within the reader's
    scope (none for a pseudonymised reader), the tiers and shares over the whole company."""
    require(principal, Permission.REPORTS_READ)
    year = year or default_year(run.as_of)
    if year > run.as_of.year:
        raise ValueError(
            _("year {year} is after the snapshot of {as_of}").format(year=year, as_of=run.as_of)
        )
    if top < 1:
        raise ValueError(_("top must be 1 or more, got {top}").format(top=top))
    session = uow.session
    tiers, mix = per_tier(session, run, year)
    if principal.pseudonymous:
        return Composition(year, run.as_of, [tiers, mix])
    sections = [
        biggest_customers(session, run, principal, year, top),
        lost_customers(session, run, principal, year),
    ]
    complaints = uow.happened(CompositionAsked(year, run.as_of, principal)).get("complaints")
    if complaints is not None:
        sections.append(complaints)
    return Composition(year, run.as_of, [*sections, tiers, mix])
