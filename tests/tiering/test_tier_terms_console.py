"""What a tier gives, end to end in the console, in Chinese: change tier B's terms, simulate
them, activate them, then an order priced by them, refused past the limit, and the 360 and the
customer's statement telling the new terms."""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from tierwise.customers.models import Customer
from tierwise.sales.models import Order, Product
from tierwise.tiering.models import CustomerTier

from ..support.api_world import World
from ..support.browser import shot, sign_in

NEW_B_TERMS = """discount_percent = 7
category_discounts = { "电脑及配件" = 2, "办公设备" = 3 }
payment = "net"
credit_days = 30
credit_limit = 20_000"""


def b_customer_and_product(world: World) -> tuple[str, str, Decimal]:
    """A tier-B customer with no order on credit and no own limit below the new one, and a
    stationery product with its list price."""
    with world.app.uow() as uow:
        on_credit = select(Order.customer_id).where(Order.payment.is_not(None))
        code = uow.session.scalars(
            select(Customer.code)
            .join(CustomerTier, CustomerTier.customer_id == Customer.id)
            .where(
                CustomerTier.tier == "B",
                Customer.id.not_in(on_credit),
                (Customer.credit_limit.is_(None)) | (Customer.credit_limit >= 20_000),
            )
            .order_by(Customer.code)
        ).first()
        item = uow.session.scalars(
            select(Product).where(Product.category == "办公文具", Product.list_price.is_not(None))
        ).first()
        assert code is not None and item is not None and item.list_price is not None
        return code, item.code, item.list_price


def with_new_b_terms(source: str) -> str:
    start = source.index("[tiers.terms]", source.index('code = "B"'))
    end = source.index("[[tiers]]", start)
    return source[:start] + "[tiers.terms]\n" + NEW_B_TERMS + "\n\n" + source[end:]


def test_new_b_terms_are_simulated_activated_applied_to_orders_and_told(  # type: ignore[no-untyped-def]
    page, console_world: World
) -> None:
    code, item, price = b_customer_and_product(console_world)
    sign_in(page, "admin")
    page.goto("/lang/zh_CN")
    page.goto("/policy")
    assert page.locator("#tier-terms").is_visible()
    policy = page.get_by_label(re.compile("策略"))
    policy.fill(with_new_b_terms(policy.input_value()))
    page.get_by_role("button", name="模拟").click()
    effect = page.locator("#terms-effect")
    assert effect.is_visible()
    b_row = effect.locator("tr", has=page.locator("text=B")).first
    assert "¥" in b_row.inner_text()  # discount given away and credit extended for tier B
    shot(page, "terms-simulation-zh")
    page.get_by_label(re.compile("我已模拟")).check()
    page.get_by_role("button", name="启用").click()
    assert re.search(r"策略版本 \d+ 已启用", page.get_by_role("status").inner_text())

    page.goto(f"/customers/{code}")
    terms = page.locator("#terms-title").locator("xpath=..")
    assert "7%" in terms.inner_text() and "¥20,000" in terms.inner_text()
    page.get_by_label("产品编码").fill(item)
    page.get_by_label("数量").fill("10")
    page.get_by_role("button", name="录入订单").click()
    priced = (price * 10 * Decimal("0.93")).quantize(Decimal("0.01"))
    status = page.get_by_role("status").inner_text()
    assert f"¥{priced:,}".rstrip("0").rstrip(".") in status and "优惠 7%" in status

    page.get_by_label("金额（元）").fill("25000")
    page.get_by_role("button", name="录入订单").click()
    alert = page.get_by_role("alert").inner_text()
    assert "¥25,000" in alert and "¥20,000" in alert and "B" in alert
    shot(page, "terms-order-refused-zh")
    terms = page.locator("#terms-title").locator("xpath=..")
    assert "已用信用额度" in terms.inner_text()

    page.get_by_role("link", name="客户等级说明书").click()
    statement = page.locator("body").inner_text()
    assert "7%" in statement and "¥20,000" in statement and code in statement
    shot(page, "terms-statement-zh")
