"""A tier's criteria read in business words on the 360: indicator names, the customer's value and
what the tier asks, with no policy syntax."""

from __future__ import annotations

import re

import pytest

from tierwise.i18n import set_language
from tierwise.tiering.explain import progress, reads
from tierwise.tiering.expressions import Criterion

from ..support.api_world import World, password_for, rolled_back_client


@pytest.mark.parametrize(
    ("criterion", "english", "chinese"),
    [
        (
            Criterion("sales_12m >= 40_000", False, "sales_12m", ">=", 2271.87, 40000.0, 37728.13),
            "Sales in the last 12 months: ¥2,272; the tier asks at least ¥40,000",
            "近 12 个月销售额 ¥2,272，门槛：不低于 ¥40,000",
        ),
        (
            Criterion(
                'coalesce(credit_rating, "") not in ["B"]',
                True,
                'coalesce(credit_rating, "")',
                "not in",
                "BB",
                ["B"],
            ),
            "Credit rating: BB; the tier asks none of B",
            "信用等级 BB，门槛：不属于 B",
        ),
        (
            Criterion("得分", False, "score", ">=", 74.31, 75.0, 0.69),
            "Tier score: 74.31; the tier asks at least 75",
            "分级得分 74.31，门槛：不低于 75",
        ),
    ],
)
def test_each_criterion_reads_in_words(criterion: Criterion, english: str, chinese: str) -> None:
    set_language("en")
    assert reads(criterion) == english
    set_language("zh_CN")
    assert reads(criterion) == chinese
    set_language("en")


def test_progress_towards_an_at_least_threshold() -> None:
    short = Criterion("x", False, "sales_12m", ">=", 10_000.0, 40_000.0, 30_000.0)
    assert progress(short) == pytest.approx(0.25)
    assert progress(Criterion("x", True, "margin", ">=", 0.3, 0.12)) == 1.0
    assert progress(Criterion("x", True, "credit_rating", "not in", "A", ["B"])) is None


def test_the_360_explains_tiers_without_policy_syntax(world: World) -> None:
    with rolled_back_client(world) as client:
        signed = client.post(
            "/api/v1/session", json={"username": "manager", "password": password_for("manager")}
        )
        assert signed.status_code == 200
        page = client.get(f"/customers/{world.own}").text
    start = page.index('id="tier-title"')
    why = page[start : page.index("</section>", start)]
    criteria = re.findall(r'<li class="(?:pass|fail)">(.*?)</li>', why, re.S)
    assert criteria
    for text in criteria:
        assert not re.search(r">=|<=|==|coalesce\(|\b[a-z]+_[a-z0-9_]+\b", text), text
