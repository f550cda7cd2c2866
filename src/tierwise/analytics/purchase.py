"""The purchase models side by side: the one a run's parameters choose gives P(alive), expected
purchases and CLV; the others are fitted beside it so each run shows which the data prefer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from tierwise.analytics import clv, fit_inputs, mbg_nbd, pareto_nbd
from tierwise.analytics.params import PurchaseModel

Rows = Callable[[clv.Params, ArrayLike, ArrayLike, ArrayLike], np.ndarray]
IfAlive = Callable[[clv.Params, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Model:
    """What a purchase model offers a recompute."""

    fit: Callable[[ArrayLike, ArrayLike, ArrayLike], clv.Fit]
    p_alive: Rows
    expected_purchases: Callable[
        [clv.Params, ArrayLike, ArrayLike, ArrayLike, ArrayLike], np.ndarray
    ]
    if_alive: IfAlive | None  # E[purchases in (T, T+t] | alive, x]; BG/NBD has its own CLV


MODELS: dict[PurchaseModel, Model] = {
    "bg_nbd": Model(clv.fit_bg_nbd, clv.p_alive, clv.expected_purchases, None),
    "pareto_nbd": Model(
        pareto_nbd.fit, pareto_nbd.p_alive, pareto_nbd.expected_purchases, pareto_nbd.if_alive
    ),
    "mbg_nbd": Model(mbg_nbd.fit, mbg_nbd.p_alive, mbg_nbd.expected_purchases, mbg_nbd.if_alive),
}


def bic(parameters: int, n: int, log_likelihood: float) -> float:
    """Schwarz's criterion k ln n − 2 LL: lower is better, and a parameter must earn its place."""
    return parameters * float(np.log(max(n, 1))) - 2.0 * log_likelihood


def discounted_clv(
    fit: clv.Fit,
    gg_params: clv.Params,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    margin: ArrayLike,
    horizon_periods: int,
    period_length: float,
    discount_rate_per_period: float,
    population_mean: float | None = None,
) -> np.ndarray:
    """``clv.discounted_clv`` with the purchases of whichever model ``fit`` is."""
    if_alive = MODELS[fit.model].if_alive  # type: ignore[index]
    if if_alive is None:
        return clv.discounted_clv(
            fit,
            gg_params,
            frequency,
            recency,
            T,
            monetary,
            margin,
            horizon_periods,
            period_length,
            discount_rate_per_period,
            population_mean,
        )
    spend = clv.expected_spend(gg_params, frequency, monetary, population_mean)
    x, tx, age = fit_inputs._rfm(frequency, recency, T)
    purchases = clv.discounted_purchases(
        lambda ux, uage, t: if_alive(fit, ux, uage, t),
        MODELS[fit.model].p_alive(fit, x, tx, age),  # type: ignore[index]
        x,
        age,
        horizon_periods,
        period_length,
        discount_rate_per_period,
    )
    return purchases * spend * np.asarray(margin, np.float64)
