"""Analytics parameters from a TOML file: every field settable, mistakes named."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.analytics.params import DEFAULT_RFM_RULES, RfmRule, load_params


def test_fields_and_rules_are_read(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        'abc_basis = "revenue"\nabc_cutoffs = [0.6, 0.85, 0.97]\nhorizon_months = 24\n'
        '[[rfm_rules]]\nsegment = "best"\nr = [4, 5]\nf = [3, 5]\n',
        encoding="utf-8",
    )
    params = load_params(path, "week")
    assert (params.abc_basis, params.abc_cutoffs, params.horizon_months) == (
        "revenue",
        (0.6, 0.85, 0.97),
        24,
    )
    assert params.time_unit == "week"
    assert params.rfm_rules == (RfmRule("best", (4, 5), (3, 5)),)


def test_defaults_cover_every_rfm_cell() -> None:
    for r in range(1, 6):
        for f in range(1, 6):
            assert any(
                rule.r[0] <= r <= rule.r[1] and rule.f[0] <= f <= rule.f[1]
                for rule in DEFAULT_RFM_RULES
            ), (r, f)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bogus = 1\n", "unknown parameters \\['bogus'\\]"),
        ("[[rfm_rules]]\nsegment = 'x'\nr = [1]\n", "needs segment, r = \\[low, high\\]"),
        ("abc_basis = \n", "cannot read"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_params(path, "day")
