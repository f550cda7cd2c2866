"""Policy documents: the default loads, and every kind of mistake is refused with where it is."""

from __future__ import annotations

import pytest

from tierwise.tiering.policy import PolicyError, default_policy_text, load_policy, quota_size

BASE = """
name = "test"

[scorecard]
factors = [{ indicator = "sales_12m", weight = 1 }]

[[tiers]]
code = "A"
name_zh = "关键客户"
name_en = "VIP"
rank = 1
when = "sales_12m >= 1000"

[[tiers]]
code = "B"
name_zh = "主要客户"
name_en = "Major"
rank = 2
min_score = 50

[[tiers]]
code = "D"
name_zh = "小客户"
name_en = "Small"
rank = 3
"""


def problems(source: str) -> str:
    """The message of the PolicyError the source raises."""
    with pytest.raises(PolicyError) as raised:
        load_policy(source, "p.toml")
    return str(raised.value)


def test_default_policy_loads_with_its_tiers_in_order() -> None:
    policy = load_policy(default_policy_text())
    assert [t.code for t in policy.tiers] == ["A", "B", "C", "D", "X"]
    assert policy.blacklist is not None and policy.blacklist.code == "X"
    assert policy.tier("A").name_zh == "关键客户"
    assert [t.code for t in policy.value_tiers] == ["A", "B", "C", "D"]


def test_a_minimal_policy_loads() -> None:
    policy = load_policy(BASE)
    assert [t.code for t in policy.value_tiers] == ["A", "B", "D"]
    assert policy.blacklist is None
    assert policy.indicators() == {"sales_12m"}


def test_unknown_indicator_is_placed_on_the_line_and_column_of_the_file() -> None:
    message = problems(BASE.replace('when = "sales_12m >= 1000"', 'when = "sale_12m >= 1000"'))
    line = BASE.splitlines().index('when = "sales_12m >= 1000"') + 1
    assert f"tiers[A].when, line {line}, column 9" in message
    assert "sales_12m" in message  # the suggestion


def test_type_mismatch_is_refused() -> None:
    message = problems(BASE.replace("sales_12m >= 1000", "credit_rating > 3"))
    assert "tiers[A].when" in message


def test_syntax_error_is_refused_without_eval() -> None:
    message = problems(BASE.replace("sales_12m >= 1000", "__import__('os')"))
    assert "tiers[A].when" in message


def test_a_tier_asking_nothing_above_others_makes_them_unreachable() -> None:
    message = problems(BASE.replace("min_score = 50\n", ""))
    assert "tiers[B]" in message and "unreachable" in message


def test_a_condition_that_never_holds_is_unreachable() -> None:
    message = problems(BASE.replace("sales_12m >= 1000", "1 > 2"))
    assert "never holds" in message


def test_the_lowest_tier_must_take_everyone_left() -> None:
    message = problems(BASE + 'when = "orders > 0"\n')
    assert "tiers[D]" in message and "lowest tier" in message


def test_overlapping_quotas_are_refused() -> None:
    source = BASE.replace('when = "sales_12m >= 1000"', 'by = "gross_profit"\ntop_percent = 20')
    source = source.replace("min_score = 50", 'by = "gross_profit"\ntop_percent = 10')
    message = problems(source)
    assert "tiers[B]" in message and "overlaps tier A" in message


def test_growing_quotas_are_accepted() -> None:
    source = BASE.replace('when = "sales_12m >= 1000"', 'by = "score"\ntop_n = 5')
    source = source.replace("min_score = 50", 'by = "score"\ntop_n = 50')
    assert load_policy(source).tier("B").top_n == 50


def test_quota_needs_by_and_size() -> None:
    assert "needs both" in problems(BASE.replace("min_score = 50", "top_percent = 10"))


def test_quota_by_text_indicator_is_refused() -> None:
    source = BASE.replace("min_score = 50", 'by = "credit_rating"\ntop_n = 3')
    assert "cannot be scored or ranked" in problems(source)


def test_min_score_needs_a_scorecard() -> None:
    source = BASE.replace('[scorecard]\nfactors = [{ indicator = "sales_12m", weight = 1 }]\n', "")
    assert "min_score needs a [scorecard]" in problems(source)


def test_duplicate_codes_and_ranks_are_refused() -> None:
    message = problems(BASE.replace('code = "B"', 'code = "A"').replace("rank = 3", "rank = 2"))
    assert "code A" in message and "rank 2" in message


def test_blacklist_must_rank_lowest_and_take_no_criteria() -> None:
    shifted = BASE.replace("rank = 3", "rank = 4").replace("rank = 2", "rank = 3")
    shifted = shifted.replace("rank = 1", "rank = 2")
    blacklist = '\n[[tiers]]\ncode = "X"\nname_zh = "黑名单"\nname_en = "Blacklist"\nrank = 1\n'
    message = problems(shifted + blacklist + 'blacklist = true\nwhen = "orders > 0"\n')
    assert "must rank lowest" in message and "takes no criteria" in message


def test_bands_must_rise_and_unknown_keys_are_refused() -> None:
    source = BASE.replace(
        '{ indicator = "sales_12m", weight = 1 }',
        '{ indicator = "sales_12m", weight = 1, bands = [[10, 50], [5, 100]] }',
    )
    assert "strictly rising" in problems(source)
    assert "typo" in problems(BASE.replace('name = "test"', 'name = "test"\ntypo = 1'))


def test_broken_toml_names_the_file() -> None:
    assert problems("name = ").startswith("p.toml")


@pytest.mark.parametrize(
    ("population", "percent", "places"), [(50, 1, 1), (100, 5, 5), (1000, 2.5, 25), (3, 50, 2)]
)
def test_quota_size_rounds_up(population: int, percent: float, places: int) -> None:
    policy = load_policy(BASE.replace("min_score = 50", f'by = "sales"\ntop_percent = {percent}'))
    assert quota_size(policy.tier("B"), population) == places


TEXT_FACTOR = '{ indicator = "credit_rating", weight = 1, points = { AAA = 100, B = 0 } }'


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("weight = 1 }", "weight = inf }", "scorecard.factors.0.weight: Input should be a finite"),
        (
            "weight = 1 }",
            "weight = 1, bands = [[0, 10], [inf, 100]] }",
            "bands.1.0: Input should be a finite",
        ),
        (
            "weight = 1 }",
            f"weight = 1 }}, {TEXT_FACTOR.replace('100', 'nan')}",
            "points.AAA: Input should be a finite",
        ),
        (
            "min_score = 50",
            'by = "score"\ntop_n = 1e20',
            "tiers.1.top_n: Input should be a valid integer",
        ),
        (
            "min_score = 50",
            'by = "score"\ntop_n = 1e18',
            "tiers.1.top_n: Input should be a valid integer",
        ),
        (
            "min_score = 50",
            'by = "score"\ntop_n = 100000000000000000000',
            "tiers.1.top_n: Input should be less than or equal to 1000000000",
        ),
        (
            'name = "test"',
            'name = "test"\nreturn_window_days = 100000',
            "return_window_days: Input should be less than or equal to 3660",
        ),
        (
            "weight = 1 }",
            "weight = 1.7e308 }",
            "scorecard.factors.0.weight: Input should be less than or equal to 1000000",
        ),
        (
            "weight = 1 }",
            f"weight = 1 }}, {TEXT_FACTOR.replace('100', '1e300')}",
            "points must be between 0 and 100",
        ),
    ],
    ids=[
        "infinite weight",
        "infinite band",
        "NaN points",
        "top_n 1e20",
        "top_n 1e18",
        "top_n 10**20",
        "window",
        "huge weight",
        "huge points",
    ],
)
def test_infinite_nan_and_absurd_numbers_are_refused(old: str, new: str, where: str) -> None:
    assert old in BASE
    message = problems(BASE.replace(old, new, 1))
    assert where in message


def test_a_text_factor_with_finite_points_still_loads() -> None:
    policy = load_policy(BASE.replace("weight = 1 }", f"weight = 1 }}, {TEXT_FACTOR}", 1))
    assert policy.document.scorecard is not None
    assert policy.document.scorecard.factors[1].points == {"AAA": 100, "B": 0}


def test_a_condition_that_always_holds_loads_with_a_warning() -> None:
    policy = load_policy(BASE.replace("sales_12m >= 1000", "1 == 1"))
    assert policy.warnings == (
        "tiers[A]: the condition always holds, so it asks nothing of a customer",
    )
    assert load_policy(BASE).warnings == ()
