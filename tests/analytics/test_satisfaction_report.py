"""Satisfaction by factor, on each customer's newest survey up to the snapshot, worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from tierwise.analytics.models import AnalyticsRun
from tierwise.analytics.reports import build
from tierwise.bootstrap import App
from tierwise.customers.choices import CustomerKind
from tierwise.customers.models import Customer
from tierwise.customers.surveys import Survey

AS_OF = dt.date(2026, 6, 30)


def _survey(code: str, customer: Customer, day: str, **scores: int) -> Survey:
    return Survey(
        code=code, customer_id=customer.id, answered_on=dt.date.fromisoformat(day), **scores
    )


def test_each_factor_on_the_newest_survey_before_the_snapshot(app: App) -> None:
    with app.uow() as uow:
        a, b, c = (Customer(code=k, name=k, kind=CustomerKind.ENTERPRISE) for k in "ABC")
        uow.session.add_all([a, b, c])
        uow.session.flush()
        uow.session.add_all(
            [
                # A answered twice: only the newer one (expected 5, perceived 3) counts.
                _survey("S1", a, "2026-01-10", product_expected=4, product_perceived=4),
                _survey("S2", a, "2026-05-10", product_expected=5, product_perceived=3),
                # B: perceived above expected on product, and the only one to rate service.
                _survey(
                    "S3",
                    b,
                    "2026-03-01",
                    product_expected=3,
                    product_perceived=4,
                    service_expected=4,
                    service_perceived=2,
                ),
                # C answered after the snapshot: not counted at all.
                _survey("S4", c, "2026-07-05", product_expected=1, product_perceived=5),
            ]
        )
        uow.session.flush()
        report = build(uow.session, AnalyticsRun(as_of=AS_OF), "satisfaction")
    rows = {r[0]: r[1:] for r in report.rows}
    # Product: A (5 → 3) and B (3 → 4): expected 4.0, perceived 3.5, gap −0.5, one of two let down.
    assert rows["Product"] == [2, 4.0, 3.5, pytest.approx(-0.5), 0.5]
    assert rows["Service and system"] == [1, 4.0, 2.0, pytest.approx(-2.0), 1.0]
    assert rows["Company"] == [0, None, None, None, None]
    assert report.notes == [
        "Customers are let down most on Service and system: perceived 2.0 against 4.0 expected."
    ]
