"""Rules over computed indicators: lifecycle and development stage, churn, loyalty, relationship,
share of wallet.

These run on one row per customer after the models are fitted (they need P(alive)), vectorised in
NumPy; the rules and their thresholds are documented in docs/analytics.md.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from tierwise.analytics.params import AnalyticsParams

Floats = npt.NDArray[np.float64]
Labels = npt.NDArray[np.object_]


def _pick(
    conditions: list[npt.NDArray[np.bool_]], labels: list[str | None], default: str
) -> Labels:
    """First matching condition wins, like a CASE expression."""
    return np.select(conditions, np.array(labels, dtype=object), default=default).astype(object)


def churned(status: Labels, p_alive: Floats, params: AnalyticsParams) -> npt.NDArray[np.bool_]:
    """Marked churned in the file, or the purchase model says the customer has most likely left."""
    with np.errstate(invalid="ignore"):
        return (status == "churned") | (np.nan_to_num(p_alive, nan=1.0) < params.churn_p_alive)


def lifecycle_stage(
    orders: Floats,
    tenure_days: Floats,
    recency_days: Floats,
    interval_days: Floats,
    growth: Floats,
    p_alive: Floats,
    gone: npt.NDArray[np.bool_],
) -> Labels:
    """Acquaintance → reserved → balance → stable, wavering before churn, then churned."""
    with np.errstate(invalid="ignore"):
        overdue = (orders >= 2) & (recency_days > 2 * interval_days)
        shrinking = growth < -0.3
        doubtful = p_alive < 0.5
        return _pick(
            [
                np.isnan(orders) | (orders < 1),
                gone,
                overdue | shrinking | doubtful,
                (orders == 1) | (tenure_days < 90),
                (orders <= 3) | (tenure_days < 365),
                (tenure_days >= 730) & (orders >= 6) & (np.nan_to_num(growth, nan=0.0) >= -0.1),
            ],
            [None, "churned", "wavering", "acquaintance", "reserved", "stable"],
            "balance",
        )


def development_stage(
    orders: Floats,
    tenure_days: Floats,
    referrals: Floats,
    management_class: Labels,
    promoter: npt.NDArray[np.bool_],
    gone: npt.NDArray[np.bool_],
    disqualified: npt.NDArray[np.bool_],
    qualified: npt.NDArray[np.bool_],
) -> Labels:
    """Suspect → prospect (or disqualified) before the first purchase; then first-time → repeat →
    long-term → member → advocate → partner, or churned."""
    with np.errstate(invalid="ignore"):
        long_term = (tenure_days >= 730) & (orders >= 4)
        refers = np.nan_to_num(referrals) >= 1
        key = management_class == "key"
        bought = ~np.isnan(orders) & (orders >= 1)
        return _pick(
            [
                ~bought & disqualified,
                ~bought & qualified,
                ~bought,
                gone,
                key & refers & long_term,
                refers,
                long_term & (promoter | key),
                long_term,
                orders >= 2,
            ],
            [
                "disqualified",
                "prospect",
                "suspect",
                "churned",
                "partner",
                "advocate",
                "member",
                "long_term",
                "repeat",
            ],
            "first_time",
        )


def share_of_wallet(
    sales_12m: Floats, wallet_estimate: Floats
) -> tuple[Floats, npt.NDArray[np.object_]]:
    """Our last-12-month sales over the customer's estimated yearly spend in our category, capped
    at 100%, and whether our sales went past the estimate; empty where no estimate above 0."""
    known = np.nan_to_num(wallet_estimate, nan=0.0) > 0
    ours = np.clip(np.nan_to_num(sales_12m, nan=0.0), 0.0, None)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(known, ours / wallet_estimate, np.nan)
    exceeded = np.where(known, ratio > 1.0, np.array(None)).astype(object)
    return np.minimum(ratio, 1.0), exceeded


def attitude(nps: Floats, csat: Floats, params: AnalyticsParams) -> Labels:
    """High or low from the latest survey (NPS, else CSAT); None where nobody asked."""
    with np.errstate(invalid="ignore"):
        high = np.where(np.isnan(nps), csat >= 4, nps >= params.promoter_nps)
        unknown = np.isnan(nps) & np.isnan(csat)
        return _pick([unknown, high], [None, "high"], "low")


def loyalty(attitudes: Labels, f_score: Floats, params: AnalyticsParams) -> Labels:
    """Attitude × repeat purchase: loyal, latent, spurious, disloyal; None without a survey."""
    with np.errstate(invalid="ignore"):
        repeat = f_score >= params.repeat_high_f_score
    high = attitudes == "high"
    return _pick(
        [attitudes == None, high & repeat, high, repeat],  # noqa: E711 — element-wise
        [None, "loyal", "latent", "spurious"],
        "disloyal",
    )


def relationship(abc_class: Labels, loyalties: Labels) -> Labels:
    """Profitability × loyalty: premium, trend, problem, low-quality; None if loyalty is unknown."""
    profitable = np.isin(abc_class, ["vip", "major"])
    loyal = loyalties == "loyal"
    return _pick(
        [loyalties == None, profitable & loyal, profitable, loyal],  # noqa: E711 — element-wise
        [None, "premium", "trend", "problem"],
        "low_quality",
    )
