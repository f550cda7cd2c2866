"""The profit-contribution (ABC) classes read as an analysis, never as the tiers' names."""

from __future__ import annotations

import pytest

from tierwise.analytics.labels import indicator_names, value_label
from tierwise.i18n import set_language
from tierwise.tiering.policy import default_policy_text, load_policy

CLASSES = ("vip", "major", "normal", "small")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", ["Profit class A", "Profit class B", "Profit class C", "Profit class D"]),
        ("zh_CN", ["利润贡献 A 类", "利润贡献 B 类", "利润贡献 C 类", "利润贡献 D 类"]),
    ],
)
def test_abc_classes_are_named_as_profit_classes_apart_from_every_tier(
    lang: str, expected: list[str]
) -> None:
    set_language(lang)
    labels = [value_label(c) for c in CLASSES]
    assert labels == expected
    policy = load_policy(default_policy_text(), "default")
    tier_names = {t.name(lang) for t in policy.tiers}
    assert not any(name in label or label in name for name in tier_names for label in labels)
    assert "ABC" in indicator_names()["abc_class"]
