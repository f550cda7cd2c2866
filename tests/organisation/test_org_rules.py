"""Organisation rules: the shipped document loads, and numbers that mean nothing are refused."""

from __future__ import annotations

import pytest

from tierwise.organisation.rules import RulesError, default_rules_text, load_rules


def test_the_shipped_rules_load() -> None:
    assert [t.tier for t in load_rules(default_rules_text(), "default").tiers][:3] == [
        "A",
        "B",
        "C",
    ]


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("weight = 3\n", "weight = inf\n", "tier A: weight: Input should be a finite number"),
        ("resolution_hours = 8 }", "resolution_hours = inf }", "service.resolution_hours"),
        ("answer_target = 0.90", "answer_target = nan", "service.answer_target"),
    ],
    ids=["infinite weight", "infinite resolution time", "NaN answer target"],
)
def test_infinite_and_nan_numbers_are_refused(old: str, new: str, where: str) -> None:
    source = default_rules_text()
    assert old in source
    with pytest.raises(RulesError) as refused:
        load_rules(source.replace(old, new, 1), "org.toml")
    assert str(refused.value).startswith("org.toml: ")
    assert where in str(refused.value)


def test_entitlements_name_the_tier_and_the_field_when_wrong() -> None:
    source = default_rules_text()
    visits = '{ kind = "onsite_visit", amount = 2, per = "quarter" }'
    assert visits in source
    with pytest.raises(RulesError) as twice:
        load_rules(source.replace(visits, f"{visits}, {visits}", 1), "org.toml")
    assert str(twice.value) == "org.toml: tier B: entitlement onsite_visit given twice"
    with pytest.raises(RulesError) as weekly:
        load_rules(source.replace(visits, visits.replace("quarter", "week"), 1), "org.toml")
    assert "tier B: entitlements.0.per: Input should be 'month', 'quarter' or 'year'" in str(
        weekly.value
    )
    with pytest.raises(RulesError) as fax:
        load_rules(source.replace('"phone", "email", "wechat"', '"fax"', 1), "org.toml")
    assert "tier D: channels.0" in str(fax.value)
