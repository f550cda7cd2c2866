"""What a tier gives: orders priced and checked on the customer's tier terms, on the day's tier,
and the terms shown in the customer's file."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tierwise.bootstrap import App
from tierwise.customers.models import Customer
from tierwise.customers.reads import customer_file
from tierwise.i18n import current_language, request_language
from tierwise.identity.access import SYSTEM
from tierwise.identity.models import AuditEntry
from tierwise.sales.models import Order, OrderLine, Product
from tierwise.sales.pricing import TermsRefused
from tierwise.sales.service import RecordedOrder, add_order
from tierwise.sales.terms import Payment
from tierwise.tiering import service
from tierwise.tiering.benefits import tier_on
from tierwise.tiering.models import CustomerTier
from tierwise.tiering.policy import PolicyError, default_policy_text
from tierwise.tiering.statement import NoStatement, statement_for
from tierwise.tiering.statement_render import pdf_of, statement_html

from ..support.demo_db import graded_demo
from ..support.postgres import database_for

AS_OF = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 11, 3)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def graded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """Demo data graded by the shipped policy, whose tiers carry terms."""
    url = database_for(request.param, "tierwise_test_terms", str(tmp_path_factory.mktemp("t")))
    app = graded_demo(url, customers=300, seed=5, as_of=AS_OF)
    yield app
    app.engine.dispose()


def customer_in(app: App, tier: str, own_limit: Decimal | None = None) -> str:
    """A customer of `tier` with no order on credit yet, its own credit limit set as given."""
    with app.uow() as uow:
        on_credit = select(Order.customer_id).where(Order.payment.is_not(None))
        customer = uow.session.scalars(
            select(Customer)
            .join(CustomerTier, CustomerTier.customer_id == Customer.id)
            .where(CustomerTier.tier == tier, Customer.id.not_in(on_credit))
            .order_by(Customer.code)
        ).first()
        assert customer is not None, f"the demo has a customer in tier {tier}"
        customer.credit_limit = own_limit
        uow.commit()
        return customer.code


def product(app: App, category: str) -> tuple[str, Decimal]:
    """A product of `category` with a list price: its code and price."""
    with app.uow() as uow:
        found = uow.session.scalars(
            select(Product).where(Product.category == category, Product.list_price.is_not(None))
        ).first()
        assert found is not None and found.list_price is not None
        return found.code, found.list_price


def order(app: App, code: str, **kwargs: object) -> RecordedOrder:
    """An order recorded as the CLI, API and console record one, committed."""
    with app.uow() as uow:
        recorded = add_order(
            uow,
            SYSTEM,
            code,
            kwargs.pop("order_date", TODAY),  # type: ignore[arg-type]
            kwargs.pop("amount", None),  # type: ignore[arg-type]
            today=TODAY,
            latest_date=TODAY,
            **kwargs,  # type: ignore[arg-type]
        )
        uow.commit()
        return recorded


def orders_of(app: App, code: str) -> int:
    with app.uow() as uow:
        customer = uow.session.scalars(select(Customer).where(Customer.code == code)).one()
        query = select(func.count()).where(Order.customer_id == customer.id)
        return int(uow.session.scalar(query) or 0)


def test_an_order_without_an_amount_is_priced_at_the_tier_discount(graded: App) -> None:
    code = customer_in(graded, "B")
    item, price = product(graded, "办公文具")
    recorded = order(graded, code, product_code=item, quantity=Decimal(10))
    assert recorded.amount == (price * 10 * Decimal("0.95")).quantize(Decimal("0.01"))
    assert recorded.order.terms_tier == "B"
    assert recorded.order.payment is Payment.NET
    with graded.uow() as uow:
        line = uow.session.scalars(
            select(OrderLine).where(OrderLine.order_id == recorded.order.id)
        ).one()
        assert (line.list_amount, line.discount_percent) == (price * 10, Decimal(5))
        assert line.quantity == 10
        version = service.policy_version(uow.session)[0].version
    assert recorded.order.terms_version == version


def test_a_category_discount_overrides_the_tier_discount(graded: App) -> None:
    code = customer_in(graded, "A")
    item, price = product(graded, "电脑及配件")
    recorded = order(graded, code, product_code=item)
    assert recorded.price is not None and recorded.price.discount_percent == 4
    assert recorded.amount == (price * Decimal("0.96")).quantize(Decimal("0.01"))


def test_an_order_past_the_tier_credit_limit_is_refused_unless_overridden(graded: App) -> None:
    code = customer_in(graded, "A")
    order(graded, code, amount=Decimal("150000.00"))
    before = orders_of(graded, code)
    with pytest.raises(TermsRefused) as refused:
        order(graded, code, amount=Decimal("60000.00"))
    message = str(refused.value)
    assert "¥60,000" in message and "¥200,000" in message and "¥150,000" in message
    assert orders_of(graded, code) == before  # nothing half written
    recorded = order(graded, code, amount=Decimal("60000.00"), override="director's approval")
    with graded.uow() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "override_terms", AuditEntry.resource_id == recorded.order.code
            )
        ).one()
        assert entry.note == "director's approval"


def test_the_customers_own_lower_limit_binds_before_the_tiers(graded: App) -> None:
    code = customer_in(graded, "A", own_limit=Decimal("8000.00"))
    with pytest.raises(TermsRefused, match="¥8,000"):
        order(graded, code, amount=Decimal("9000.00"))
    order(graded, code, amount=Decimal("7000.00"))


def test_a_payment_the_tier_does_not_allow_is_refused(graded: App) -> None:
    code = customer_in(graded, "D")
    with pytest.raises(TermsRefused) as refused:
        order(graded, code, amount=Decimal("100.00"), payment=Payment.NET)
    assert Payment.PREPAID.label(current_language()) in str(refused.value)
    recorded = order(graded, code, amount=Decimal("100.00"))
    assert recorded.order.payment is Payment.PREPAID


def test_a_tier_change_changes_the_terms_from_its_date_never_before(graded: App) -> None:
    code = customer_in(graded, "C")
    with graded.uow() as uow:
        service.override(uow, SYSTEM, code, "A", "key account from today", TODAY)
        uow.commit()
    earlier = order(graded, code, amount=Decimal("500.00"), order_date=TODAY - dt.timedelta(2))
    today = order(graded, code, amount=Decimal("500.00"))
    assert (earlier.order.terms_tier, today.order.terms_tier) == ("C", "A")
    with graded.uow() as uow:
        customer = uow.session.scalars(select(Customer).where(Customer.code == code)).one()
        assert tier_on(uow.session, customer.id, TODAY - dt.timedelta(2)) == "C"


def test_the_customer_file_shows_the_terms_and_the_credit_used_and_left(graded: App) -> None:
    code = customer_in(graded, "A")
    order(graded, code, amount=Decimal("12000.00"))
    with graded.uow() as uow:
        _customer, detail = customer_file(uow, SYSTEM, code, "secret", TODAY)
    terms = detail["terms"]
    assert (terms["tier"], terms["discount_percent"], terms["credit_days"]) == ("A", 8, 60)
    assert (terms["credit_limit"], terms["credit_used"]) == (Decimal(200000), Decimal(12000))
    assert terms["credit_left"] == Decimal(188000)


def test_a_limit_by_months_of_sales_follows_the_customers_purchases(graded: App) -> None:
    code = customer_in(graded, "B")
    with graded.uow() as uow:
        customer = uow.session.scalars(select(Customer).where(Customer.code == code)).one()
        year = uow.session.scalar(
            select(func.coalesce(func.sum(OrderLine.amount), 0))
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.customer_id == customer.id, Order.order_date > TODAY - dt.timedelta(365))
        )
        _customer, detail = customer_file(uow, SYSTEM, code, "secret", TODAY)
    by_sales = (Decimal(year) / 12 * 3).quantize(Decimal(1))
    expected = min(max(by_sales, Decimal(10_000)), Decimal(100_000))
    assert detail["terms"]["credit_limit"] == expected


def test_a_return_is_recorded_without_terms(graded: App) -> None:
    code = customer_in(graded, "B")
    sale = order(graded, code, amount=Decimal("1000.00"))
    back = order(graded, code, amount=Decimal("1000.00"), returns=sale.order.code)
    assert back.in_force is None and back.order.terms_tier is None


# Words of the policy and the analytics that must never reach a customer.
INTERNAL = re.compile(
    r"sales_12m|margin|gross_profit|score|clv|abc|profit|tier_|>=|<=|\bwhen\b|毛利|得分|利润"
)


def statement_text(app: App, code: str, lang: str) -> str:
    token = request_language.set(lang)
    try:
        with app.uow(reads=True) as uow:
            return statement_html(statement_for(uow.session, SYSTEM, code, TODAY))
    finally:
        request_language.reset(token)


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_statement_tells_the_tier_its_terms_and_the_way_up_in_business_words(
    graded: App, lang: str
) -> None:
    code = customer_in(graded, "B")
    html = statement_text(graded, code, lang)
    text = re.sub(r"<[^>]+>", " ", html.split("</style>", 1)[1])
    with graded.uow() as uow:
        name = uow.session.scalars(select(Customer.name).where(Customer.code == code)).one()
    assert name in text and code in text
    words = {
        "zh_CN": ("主要客户", "关键客户", "近 12 个月采购额", "专属客服", "账期付款"),
        "en": ("Major", "VIP", "Purchases in the last 12 months", "dedicated service", "On credit"),
    }[lang]
    for word in words:
        assert word in text, word
    assert not INTERNAL.search(text), INTERNAL.search(text)
    assert "<script" not in html


def test_a_statement_says_how_much_more_to_buy_for_the_next_tier(graded: App) -> None:
    with graded.uow(reads=True) as uow:
        codes = list(
            uow.session.scalars(
                select(Customer.code)
                .join(CustomerTier, CustomerTier.customer_id == Customer.id)
                .where(CustomerTier.tier == "B")
            )
        )
        found = [statement_for(uow.session, SYSTEM, c, TODAY) for c in codes]
    short = [s for s in found if s.headline]
    assert short, "some B customers lack only purchases for A"
    statement = short[0]
    [needed] = [c.still_needed for c in statement.conditions if not c.met]
    assert needed is not None and needed in statement.headline  # type: ignore[operator]
    assert statement.comparison is not None and statement.next_tier is not None


@pytest.mark.skipif(shutil.which("chromium") is None, reason="PDF printing needs Debian's Chromium")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="reading the PDF needs poppler-utils")
def test_a_chinese_statement_prints_to_a_pdf_whose_text_reads_back(
    graded: App, tmp_path: Path
) -> None:
    code = customer_in(graded, "B")
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(pdf_of(statement_text(graded, code, "zh_CN")))
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "客户等级说明书" in text and code in text and "主要客户" in text


def test_strict_apply_refuses_a_policy_whose_higher_tier_gives_less(graded: App) -> None:
    text = default_policy_text().replace("discount_percent = 8", "discount_percent = 1")
    with graded.uow() as uow, pytest.raises(PolicyError, match="tiers\\[A\\]"):
        service.apply_policy(uow, SYSTEM, text, "worse.toml", strict=True)


def test_credit_counts_every_order_owed_today_whatever_its_date(graded: App) -> None:
    code = customer_in(graded, "A")
    order(graded, code, amount=Decimal("120000.00"), order_date=TODAY - dt.timedelta(20))
    with pytest.raises(TermsRefused, match="¥120,000"):
        order(graded, code, amount=Decimal("90000.00"), order_date=TODAY - dt.timedelta(70))
    order(graded, code, amount=Decimal("60000.00"))
    with graded.uow() as uow:
        _c, detail = customer_file(uow, SYSTEM, code, "secret", TODAY)
    assert detail["terms"]["credit_used"] == Decimal(180000)


def test_a_return_frees_the_credit_and_gives_back_what_was_paid(graded: App) -> None:
    code = customer_in(graded, "A")
    item, _price = product(graded, "办公文具")
    sale = order(graded, code, product_code=item, quantity=Decimal(100))
    back = order(graded, code, product_code=item, quantity=Decimal(40), returns=sale.order.code)
    assert back.amount == (sale.amount * 40 / 100).quantize(Decimal("0.01"))
    assert back.order.payment is Payment.NET and back.order.due_on == sale.order.due_on
    with graded.uow() as uow:
        _c, detail = customer_file(uow, SYSTEM, code, "secret", TODAY)
    assert detail["terms"]["credit_used"] == sale.amount - back.amount
    with pytest.raises(ValueError, match="100"):
        order(graded, code, product_code=item, quantity=Decimal(101), returns=sale.order.code)


def test_a_priced_amount_past_what_a_line_holds_is_refused(graded: App) -> None:
    code = customer_in(graded, "D")
    item, _price = product(graded, "电脑及配件")
    with pytest.raises(ValueError, match="line"):
        order(graded, code, product_code=item, quantity=Decimal(10**12))


def test_the_blacklist_gets_no_statement(graded: App) -> None:
    with graded.uow() as uow:
        code = uow.session.scalar(
            select(Customer.code)
            .join(CustomerTier, CustomerTier.customer_id == Customer.id)
            .where(CustomerTier.tier == "X")
            .limit(1)
        )
        assert code is not None
        with pytest.raises(NoStatement):
            statement_for(uow.session, SYSTEM, code, TODAY)
