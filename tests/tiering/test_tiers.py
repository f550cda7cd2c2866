"""The tier engine on demo data, on both databases: grading in the recompute, idempotent reruns,
explanations, overrides and their expiry, the blacklist, simulation and the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tierwise.analytics import service as analytics
from tierwise.analytics.models import CustomerIndicator
from tierwise.analytics.params import AnalyticsParams
from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.models import Customer
from tierwise.i18n import set_language
from tierwise.identity.access import SYSTEM, Principal
from tierwise.sales.service import record_order
from tierwise.tiering import service
from tierwise.tiering.engine import EvaluatedLater
from tierwise.tiering.explain import RETURN_NOTE
from tierwise.tiering.grading import PROSPECTS
from tierwise.tiering.models import (
    CustomerTier,
    TierEvent,
    TierHistory,
    TierOverride,
    TierPolicy,
    TierReason,
)
from tierwise.tiering.policy import default_policy_text
from tierwise.tiering.regrade import grade_now, regrade
from tierwise.tiering.simulate import distribution, simulate

from ..support.demo_db import committed_demo
from ..support.postgres import database_for
from ..support.units import in_unit


def override_as(
    app: App,
    code: str,
    tier: str,
    reason: str,
    author: str,
    today: dt.date,
    until: dt.date | None = None,
) -> str:
    """Override a tier as `author` deciding, committed."""
    with app.uow() as uow:
        new = service.override(uow, deciding(author), code, tier, reason, today, until)
        uow.commit()
    return new


def blacklist_as(app: App, code: str, reason: str, author: str, today: dt.date, lift: bool) -> str:
    """Blacklist (or lift) as `author` deciding, committed."""
    with app.uow() as uow:
        new = service.blacklist(uow, deciding(author), code, reason, today, lift)
        uow.commit()
    return new


def deciding(author: str) -> Principal:
    """The system under a person's name, as the CLI's --author makes it."""
    return replace(SYSTEM, username=author)


AS_OF = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 11, 3)


def recompute(app: App, as_of: dt.date = AS_OF) -> service.TierStep:
    """A recompute with the tier step, as `tierwise recompute` runs it."""
    step = service.TierStep()
    with app.uow() as uow:
        analytics.recompute(uow, app.engine, as_of, AnalyticsParams(), steps=(step,))
        uow.commit()
    return step


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def graded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """Demo data graded once by the default policy (the tests run in order on it)."""
    url = database_for(request.param, "tierwise_test_tiers", str(tmp_path_factory.mktemp("t")))
    app = committed_demo(url, customers=400, seed=11, as_of=AS_OF)
    in_unit(app, service.apply_policy, SYSTEM, default_policy_text(), "default", "test")
    recompute(app)
    yield app
    app.engine.dispose()


def counts(app: App) -> dict[str, int]:
    """Rows in each tier table."""
    with app.uow() as uow:
        return {
            model.__tablename__: uow.session.scalar(select(func.count()).select_from(model)) or 0
            for model in (CustomerTier, TierHistory, TierEvent, TierOverride, TierPolicy)
        }


def code_in(app: App, tier: str) -> str:
    """A customer currently in the tier."""
    with app.uow() as uow:
        return uow.session.scalars(
            select(Customer.code)
            .join(CustomerTier, CustomerTier.customer_id == Customer.id)
            .where(CustomerTier.tier == tier, Customer.status != "blacklisted")
            .order_by(Customer.code)
        ).first()


def test_every_customer_has_a_tier_and_every_assignment_its_explanation(graded: App) -> None:
    with graded.uow() as uow:
        customers = uow.session.scalar(select(func.count()).select_from(Customer))
        history = list(uow.session.scalars(select(TierHistory)))
        tiers = {t.customer_id: t.tier for t in uow.session.scalars(select(CustomerTier))}
        indicated = dict(
            uow.session.execute(select(CustomerIndicator.customer_id, CustomerIndicator.tier)).all()
        )
        listed = set(
            uow.session.scalars(select(Customer.id).where(Customer.status == "blacklisted"))
        )
    assert len(tiers) == customers == len(history)
    assert tiers == indicated
    assert all(tiers[i] == "X" for i in listed) and listed
    for row in history:
        assert row.reason in (TierReason.NEW, TierReason.BLACKLIST)
        assert row.explanation["version"] == 1 and row.explanation["as_of"] == str(AS_OF)
        assert row.explanation["qualified"] in "ABCD" and "sales_12m" in row.explanation["values"]
    assert counts(graded)["tier_events"] == customers


def test_a_few_top_customers_carry_a_large_share_of_profit(graded: App) -> None:
    policy, shares, _as_of = distribution(graded)
    top = next(s for s in shares if s.tier == "A")
    total = sum(s.customers for s in shares)
    assert 0 < top.customers < 0.1 * total
    assert top.profit_share is not None and top.profit_share > 0.25
    assert [s.tier for s in shares] == [*(t.code for t in policy.tiers), PROSPECTS]


def test_rerunning_with_no_new_facts_changes_nothing(graded: App) -> None:
    before = counts(graded)
    with graded.uow() as uow:
        state = [
            (t.customer_id, t.tier, t.since) for t in uow.session.scalars(select(CustomerTier))
        ]
    step = recompute(graded)
    assert step.summary() is not None and not step.summary()["changes"]
    assert counts(graded) == before
    with graded.uow() as uow:
        again = [
            (t.customer_id, t.tier, t.since) for t in uow.session.scalars(select(CustomerTier))
        ]
    assert sorted(again) == sorted(state)


def test_explanation_lists_criteria_and_the_gap_to_the_next_tier(graded: App) -> None:
    code = code_in(graded, "B")
    with graded.uow() as uow:
        policy, result, state = service.explanation(uow.session, code)
    assert result.tier == "B" == result.qualified and state is not None
    own = next(c for c in result.checks if c.tier.code == "B")
    assert own.passed and own.criteria[0].subject == "score"
    up = result.next_up(policy)
    assert up is not None and up.tier.code == "A" and not up.passed
    failed = [c for c in up.criteria if not c.passed]
    assert failed and all(c.value is None or c.gap is not None or c.operator for c in failed)


def test_explain_and_history_read_in_both_languages(
    graded: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERWISE_DATABASE_URL", graded.settings.database_url)
    code = code_in(graded, "B")
    runner = CliRunner()
    for lang, words in (
        ("en", ("Service-upgrade plan", "Major")),
        ("zh_CN", ("服务升级规划", "主要客户")),
    ):
        set_language(lang)
        result = runner.invoke(build(), ["tiers", "explain", code])
        assert result.exit_code == 0, result.output
        assert all(w in result.output for w in words), result.output
    set_language("en")
    result = runner.invoke(build(), ["tiers", "history", code])
    assert result.exit_code == 0 and "New" in result.output
    missing = runner.invoke(build(), ["tiers", "explain", "NO-SUCH"])
    assert missing.exit_code == 1 and "NO-SUCH" in missing.output


def test_simulate_writes_nothing_and_accounts_for_everyone(graded: App, tmp_path: Path) -> None:
    before = counts(graded)
    stricter = default_policy_text().replace("min_score = 75", "min_score = 90")
    result = simulate(graded, stricter, "stricter.toml")
    assert counts(graded) == before
    assert sum(result.matrix.values()) == sum(s.customers for s in result.current)
    assert result.matrix.get(("B", "C"), 0) + result.matrix.get(("B", "D"), 0) > 0
    assert result.movers.num_rows == sum(n for (a, b), n in result.matrix.items() if a != b)
    assert set(result.movers.column("direction").to_pylist()) <= {"up", "down", "new"}


def test_grading_one_customer_agrees_with_the_recompute(graded: App) -> None:
    """The single-customer path (fresh values from the customer's own lines, population from the
    stored snapshot) gives every customer the grade the bulk path gave it."""
    with graded.uow() as uow:
        _row, policy = service.policy_version(uow.session)
        stored = uow.session.execute(
            select(CustomerIndicator.customer_id, CustomerIndicator.qualified_tier)
        ).all()
        for customer_id, qualified in stored[::4]:  # a DuckDB query each: a quarter suffices
            _values, one, _context = grade_now(uow.connection, policy, customer_id, AS_OF)
            assert one.qualified == qualified, customer_id


def test_an_order_upgrades_at_once_and_a_return_in_the_window_undoes_it(graded: App) -> None:
    code = code_in(graded, "D")
    with graded.uow() as uow:
        order = record_order(uow.session, code, TODAY, Decimal(90_000), Decimal(40_000))
        assert regrade(uow.connection, order.customer_id, TODAY, None, order.code) == "A"
        back = record_order(
            uow.session, code, TODAY, Decimal(90_000), Decimal(40_000), returns=order.code
        )
        assert regrade(uow.connection, order.customer_id, TODAY, None, back.code) == "D"
        uow.commit()
    with graded.uow() as uow:
        entries = service.history(uow.session, code)
        events = uow.session.scalars(
            select(TierEvent)
            .where(TierEvent.customer_id == order.customer_id)
            .order_by(TierEvent.id)
        ).all()
    assert [(e.row.tier, e.row.reason) for e in entries[:2]] == [
        ("D", TierReason.DOWNGRADE),
        ("A", TierReason.UPGRADE),
    ]
    assert entries[0].row.note == RETURN_NOTE and entries[1].row.note == order.code
    assert [(e.kind, e.tier) for e in events[-2:]] == [("tier_changed", "A"), ("tier_changed", "D")]


def test_an_order_that_does_not_earn_a_tier_moves_nothing(graded: App) -> None:
    code = code_in(graded, "C")
    before = counts(graded)
    with graded.uow() as uow:
        order = record_order(uow.session, code, TODAY, Decimal(10))
        assert regrade(uow.connection, order.customer_id, TODAY, None, order.code) == "C"
        uow.commit()
    assert counts(graded) == before


def test_explain_after_an_order_upgrade_reads_the_evidence_of_the_upgrade(graded: App) -> None:
    """The tier in force and its explanation agree: the upgrade's own evidence, not the
    snapshot taken before the order."""
    code = code_in(graded, "C")
    with graded.uow() as uow:
        order = record_order(uow.session, code, TODAY, Decimal(90_000), Decimal(40_000))
        assert regrade(uow.connection, order.customer_id, TODAY, None, order.code) == "A"
        policy, result, state = service.explanation(uow.session, code)
        view = service.explanation_view(uow.session, code)
    assert state is not None and state.tier == result.tier == result.qualified == "A"
    assert result.as_of == TODAY and result.basis == "value"
    own = next(c for c in result.checks if c.tier.code == "A")
    assert own.passed and result.next_up(policy) is None
    assert (view["tier"], view["qualified"], view["as_of"]) == ("A", "A", TODAY)


def test_prospects_are_a_line_of_their_own_in_every_distribution(graded: App) -> None:
    _policy, shares, _as_of = distribution(graded)
    with graded.uow() as uow:
        rows = uow.session.execute(
            select(CustomerIndicator.tier, CustomerIndicator.tier_basis, CustomerIndicator.orders)
        ).all()
    apart = [t for t, basis, orders in rows if basis == "prospect" and not orders and t != "X"]
    line = shares[-1]
    assert line.tier == PROSPECTS and line.customers == len(apart) > 0
    assert line.grades == {c: apart.count(c) for c in "ABCD" if c in apart}
    buying = [t for t, basis, orders in rows if not (basis == "prospect" and not orders)]
    for share in shares[:-1]:
        assert share.customers == buying.count(share.tier)
    assert sum(s.customers for s in shares) == len(rows)
    simulated = simulate(graded, default_policy_text(), "same.toml")
    assert [(s.tier, s.customers) for s in simulated.current] == [
        (s.tier, s.customers) for s in shares
    ]
    assert simulated.proposed[-1].customers == line.customers


def test_a_prospect_is_explained_by_the_prospect_scorecard_even_before_a_recompute(
    graded: App,
) -> None:
    with graded.uow() as uow:
        customer_id, code = uow.session.execute(
            select(Customer.id, Customer.code)
            .join(CustomerIndicator, CustomerIndicator.customer_id == Customer.id)
            .where(CustomerIndicator.tier_basis == "prospect", CustomerIndicator.orders == 0)
            .where(Customer.status != "blacklisted")
            .order_by(Customer.code)
            .limit(1)
        ).one()
        _policy, graded_one, _state = service.explanation(uow.session, code)
        uow.session.execute(
            CustomerIndicator.__table__.delete().where(CustomerIndicator.customer_id == customer_id)
        )
        _policy, fresh, _state = service.explanation(uow.session, code)
    for result in (graded_one, fresh):
        assert result.basis == "prospect" and result.prospect
        assert result.score is not None
    assert fresh.qualified == graded_one.qualified


def test_a_prospects_grade_becomes_its_tier_at_its_first_purchase(graded: App) -> None:
    with graded.uow() as uow:
        code, qualified = uow.session.execute(
            select(Customer.code, CustomerIndicator.qualified_tier)
            .join(CustomerIndicator, CustomerIndicator.customer_id == Customer.id)
            .where(CustomerIndicator.tier_basis == "prospect", CustomerIndicator.orders == 0)
            .where(Customer.status != "blacklisted", CustomerIndicator.qualified_tier != "D")
            .order_by(Customer.code)
            .limit(1)
        ).one()
        order = record_order(uow.session, code, TODAY, Decimal(10))
        assert regrade(uow.connection, order.customer_id, TODAY, None, order.code) == qualified
        _policy, result, state = service.explanation(uow.session, code)
    assert state is not None and state.tier == qualified and not result.prospect


def test_a_fixed_override_applies_at_once_and_ends_at_its_date(graded: App) -> None:
    code = code_in(graded, "D")
    tier = override_as(graded, code, "A", "战略合作", "wang", TODAY, until=dt.date(2026, 11, 20))
    assert tier == "A"
    with graded.uow() as uow:
        latest = service.history(uow.session, code)[0].row
    assert (latest.tier, latest.reason, latest.author, latest.note) == (
        "A",
        "manual",
        "wang",
        "战略合作",
    )
    recompute(graded, dt.date(2026, 12, 1))
    with graded.uow() as uow:
        entries = service.history(uow.session, code)
        override = uow.session.scalars(select(TierOverride)).one()
    assert entries[0].row.reason == TierReason.EXPIRY and entries[0].row.tier != "A"
    assert override.ended_on == dt.date(2026, 12, 1)
    assert entries[1].effective_to == dt.date(2026, 12, 1)


def test_override_refuses_unknown_tier_and_past_dates(graded: App) -> None:
    code = code_in(graded, "C")
    with pytest.raises(ValueError, match="not a tier"):
        override_as(graded, code, "Q", "why", "wang", TODAY)
    with pytest.raises(ValueError, match="in the past"):
        override_as(graded, code, "A", "why", "wang", TODAY, until=dt.date(2026, 1, 1))
    with pytest.raises(ValueError, match="reason"):
        override_as(graded, code, "A", "  ", "wang", TODAY)


def test_blacklisting_is_manual_with_a_reason_and_can_be_lifted(graded: App) -> None:
    code = code_in(graded, "C")
    assert blacklist_as(graded, code, "拖欠货款", "li", TODAY, lift=False) == "X"
    assert blacklist_as(graded, code, "已结清", "li", TODAY, lift=True) == "C"
    with graded.uow() as uow:
        reasons = [e.row.reason for e in service.history(uow.session, code)][:2]
    assert reasons == [TierReason.MANUAL, TierReason.BLACKLIST]


def test_an_earlier_date_cannot_be_evaluated_after_a_later_one(graded: App) -> None:
    with pytest.raises(EvaluatedLater):
        recompute(graded, AS_OF)


def test_no_assignment_exists_without_an_explanation(graded: App) -> None:
    with graded.uow() as uow:
        history = list(uow.session.scalars(select(TierHistory)))
        states = uow.session.scalar(select(func.count()).select_from(CustomerTier))
    assert history and all(
        isinstance(h.explanation, dict) and "basis" in h.explanation for h in history
    )
    assert states and len({h.customer_id for h in history}) == states
    assert np.all([h.effective_from <= dt.date(2026, 12, 1) for h in history])


def test_a_manual_change_elsewhere_does_not_end_another_customers_lapsed_override(
    graded: App,
) -> None:
    first, second = code_in(graded, "D"), code_in(graded, "C")
    override_as(graded, first, "B", "试用期", "wang", TODAY, until=dt.date(2026, 12, 5))
    override_as(graded, second, "A", "战略", "wang", dt.date(2026, 12, 10))
    with graded.uow() as uow:
        ended = dict(
            uow.session.execute(
                select(Customer.code, TierOverride.ended_on)
                .join(Customer, Customer.id == TierOverride.customer_id)
                .where(Customer.code.in_([first, second]))
                .order_by(TierOverride.id)
            ).all()
        )
    assert ended == {first: None, second: None}  # the lapsed one waits for its own evaluation
