"""Customer lifetime value (客户终身价值) from buy-till-you-die models: BG/NBD for how many
purchases, Gamma-Gamma for how much each is worth, discounted gross margin over a horizon.

Inputs are per-customer NumPy arrays in one time unit (day or week): ``frequency`` = repeat
purchase periods, ``recency`` = last − first purchase, ``T`` = as-of − first purchase, and
``monetary`` = mean value of the repeat purchases. Fits compress the customers to distinct rows
with counts as weights, so a million customers fit in about a second; predictions evaluate the
hypergeometric part once per distinct (frequency, T). The mathematics lives in ``btyd``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from tierwise.analytics import btyd
from tierwise.analytics.fit_inputs import (
    _column,
    _frequency_monetary,
    _position_error,
    _rfm,
    _weights,
    scaled_rfm,
)

BG_NBD = ("r", "alpha", "a", "b")
GAMMA_GAMMA = ("p", "q", "v")
_LOG_BOUND = 30.0  # the optimiser searches log-parameters in [−30, 30]
_MESSAGE_LENGTH = 200  # fitted_models.message is String(200)
# A line-search stop with every gradient component of the mean log-likelihood (per
# log-parameter) below this counts as converged: no lower value exists within float precision.
_PRECISION_GRADIENT = 1e-6


@dataclass(frozen=True)
class Fit:
    """The result of a maximum-likelihood fit."""

    model: str  # "bg_nbd" or "gamma_gamma"
    params: dict[str, float]  # r, alpha, a, b  |  p, q, v
    log_likelihood: float  # in the caller's time and money units
    n: int  # customers used
    converged: bool
    iterations: int
    message: str


Params = Mapping[str, float] | Fit

# ---------------------------------------------------------------------------------------------
# Fitting


def fit_bg_nbd(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> Fit:
    """Maximum-likelihood BG/NBD parameters r, alpha, a, b.

    ``weights`` are customer counts per row (default 1); ``n`` is their (rounded) sum. Time is
    rescaled so that the oldest customer has T = 1 while fitting (alpha is scaled back), and the
    log-likelihood is reported in the caller's units, comparable with the published −9582.4 on
    CDNOW in weeks.
    """
    d = scaled_rfm(frequency, recency, T, weights, "BG/NBD")
    data = btyd.BgData.build(d.x, d.tx, d.age, d.w)
    result = _maximise(btyd.bg_nbd_loglik, data, d.start, d.total)
    r, alpha, a, b = np.exp(result.x)
    ll = d.loglik(-result.fun * d.total)
    scale, ux = d.scale, d.x
    params = {"r": r, "alpha": alpha * scale, "a": a, "b": b}
    fit = _fit("bg_nbd", params, ll, d.total, result, BG_NBD)
    if not (ux > 0).any():
        # The likelihood only grows as r → 0 and alpha → ∞; a and b do not enter it.
        message = "no repeat purchases: the BG/NBD parameters are not identified; " + fit.message
        return dataclasses.replace(fit, converged=False, message=message[:_MESSAGE_LENGTH])
    return fit


def fit_gamma_gamma(
    frequency: ArrayLike, monetary: ArrayLike, weights: ArrayLike | None = None
) -> Fit:
    """Maximum-likelihood Gamma-Gamma parameters p, q, v on customers with frequency > 0.

    ``monetary`` must be > 0 for those customers and is ignored for the others. Money is
    rescaled to mean 1 while fitting (v is scaled back); the log-likelihood is in the caller's
    units, comparable with ``lifetimes``.
    """
    x, m = _frequency_monetary(frequency, monetary)
    x, m = x.ravel(), m.ravel()
    w = _weights(weights, x.size)
    keep = (x > 0) & (w > 0)
    if (keep & (m <= 0)).any():
        raise _position_error("monetary", m, keep & (m <= 0), "must be > 0 where frequency > 0")
    x, m, w = x[keep], m[keep], w[keep]
    if x.size == 0:
        raise ValueError("no customers with frequency > 0 to fit the Gamma-Gamma model on")
    total = float(w.sum())
    scale = float(np.sum(w * m)) / total
    (um, ux), uw, _ = btyd.compress([m, x], w)
    data = btyd.GgData.build(ux, um / scale, uw)
    start = np.log([1.0, 2.0, 1.0])  # mean spend p v / (q − 1) = 1 on the scaled data
    result = _maximise(btyd.gamma_gamma_loglik, data, start, total)
    p, q, v = np.exp(result.x)
    ll = -result.fun * total - total * np.log(scale)  # the density of m gains 1/scale
    return _fit("gamma_gamma", {"p": p, "q": q, "v": v * scale}, ll, total, result, GAMMA_GAMMA)


def _maximise(
    loglik: Callable[[np.ndarray, Any], tuple[float, np.ndarray]],
    data: object,
    start: np.ndarray,
    total: float,
) -> Any:
    """Minimise the mean negative log-likelihood over log-parameters with L-BFGS-B."""

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        ll, grad = loglik(theta, data)
        if not np.isfinite(ll):
            return np.inf, np.zeros_like(theta)
        return -ll / total, -grad / total

    return minimize(
        objective,
        np.clip(start, -_LOG_BOUND + 1, _LOG_BOUND - 1),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-_LOG_BOUND, _LOG_BOUND)] * len(start),
        options={"maxiter": 2000, "maxfun": 4000, "ftol": 1e-13, "gtol": 1e-9},
    )


def _fit(
    model: str, params: dict[str, float], ll: float, n: float, result: Any, names: Sequence[str]
) -> Fit:
    """Package an optimiser result; a parameter pinned at a search bound is not converged."""
    message = str(result.message)
    at_bound = [
        name for name, value in zip(names, result.x, strict=True) if abs(value) >= _LOG_BOUND - 1e-3
    ]
    gradient = float(np.max(np.abs(result.jac)))
    converged = bool(result.success)
    if not converged and result.status == 2 and gradient <= _PRECISION_GRADIENT:
        # The line search found no lower value: the optimum is reached to machine precision.
        converged = True
        message = (
            f"{message.rstrip(': ')} line search: no lower value within machine precision, "
            f"max |gradient| {gradient:.1e}"
        )
    converged = converged and bool(np.isfinite(ll)) and not at_bound
    if at_bound:
        message = f"{', '.join(at_bound)} at the search bound exp(±30): no finite MLE; {message}"
    return Fit(
        model=model,
        params={k: float(v) for k, v in params.items()},
        log_likelihood=float(ll),
        n=round(n),
        converged=converged,
        iterations=int(result.nit),
        message=message[:_MESSAGE_LENGTH],
    )


# ---------------------------------------------------------------------------------------------
# Predictions


def p_alive(params: Params, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(the customer is still alive at T) under BG/NBD; 1 for customers with frequency 0."""
    r, alpha, a, b = _params(params, "bg_nbd", BG_NBD)
    x, tx, age = _rfm(frequency, recency, T)
    return btyd.p_alive(r, alpha, a, b, x, tx, age)


def expected_purchases(
    params: Params, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Conditional expected number of repeat purchases in (T, T+t] under BG/NBD (eq. 10).

    ``t`` is a scalar or an array broadcasting with the customers. The ₂F₁ part depends on
    (frequency, T, t) only and is evaluated once per distinct combination; see
    ``btyd.purchases_if_alive`` for how it is kept finite and accurate.
    """
    r, alpha, a, b = _params(params, "bg_nbd", BG_NBD)
    x, tx, age = _rfm(frequency, recency, T)
    horizon = _column("t", t)
    x, tx, age, horizon = np.broadcast_arrays(x, tx, age, horizon)
    if x.size == 0:
        return np.zeros(x.shape)
    (uage, uh, ux), _, inverse = btyd.compress([age.ravel(), horizon.ravel(), x.ravel()], None)
    q = btyd.purchases_if_alive(r, alpha, a, b, ux, uage, uh)[inverse].reshape(x.shape)
    return btyd.p_alive(r, alpha, a, b, x, tx, age) * q


def expected_spend(
    params: Params,
    frequency: ArrayLike,
    monetary: ArrayLike,
    population_mean: float | None = None,
) -> np.ndarray:
    """Gamma-Gamma conditional expected mean spend per purchase, p (v + x m) / (p x + q − 1).

    That is a weighted average of the customer's own mean spend and the population mean
    p v / (q − 1), which is what customers with frequency 0 get (their ``monetary`` is ignored).

    Where p x + q ≤ 1 the model's expectation is infinite: a heavy-tailed fit (q ≤ 1, which
    real spend data do produce) has no population mean. There the result is NaN, unless the
    caller supplies ``population_mean`` (e.g. the observed mean spend of repeat buyers): then
    frequency-0 customers get it and repeat buyers get their own observed mean spend.
    """
    p, q, v = _params(params, "gamma_gamma", GAMMA_GAMMA)
    x, m = _frequency_monetary(frequency, monetary)
    m = np.where(x > 0, m, 0.0)
    denominator = p * x + q - 1.0
    fallback: float | np.ndarray
    if population_mean is None:
        fallback = np.nan
    elif np.isfinite(population_mean) and population_mean >= 0:
        fallback = np.where(x > 0, m, float(population_mean))
    else:
        raise ValueError(f"population_mean must be a finite number >= 0, got {population_mean!r}")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, p * (v + x * m) / denominator, fallback)


def discounted_clv(
    bg_params: Params,
    gg_params: Params,
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
    """Discounted expected gross margin over ``horizon_periods`` periods (lifetimes' semantics).

    CLV = Σ_{i=1..H} (E[Y(i L)] − E[Y((i−1) L)]) · spend · margin / (1 + d)^i, with L =
    ``period_length`` in the time unit of T, E[Y] from ``expected_purchases`` and spend from
    ``expected_spend``. ``margin`` is a scalar or per-customer array (not clipped here). Each
    step's increment is clipped at 0 against rounding, so the result is ≥ 0 wherever margin ≥ 0
    (NaN where the expected spend is undefined and no ``population_mean`` is given, see
    ``expected_spend``).
    """
    r, alpha, a, b = _params(bg_params, "bg_nbd", BG_NBD)
    spend = expected_spend(gg_params, frequency, monetary, population_mean)
    x, tx, age = _rfm(frequency, recency, T)
    alive = btyd.p_alive(r, alpha, a, b, x, tx, age)

    def if_alive(x: np.ndarray, T: np.ndarray, t: np.ndarray) -> np.ndarray:
        return btyd.purchases_if_alive(r, alpha, a, b, x, T, t)

    purchases = discounted_purchases(
        if_alive, alive, x, age, horizon_periods, period_length, discount_rate_per_period
    )
    return purchases * spend * np.asarray(margin, np.float64)


def discounted_purchases(
    if_alive: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray],
    alive: np.ndarray,
    x: np.ndarray,
    age: np.ndarray,
    horizon_periods: int,
    period_length: float,
    discount_rate_per_period: float,
) -> np.ndarray:
    """Σ_i (E[Y(i L)] − E[Y((i−1) L)]) / (1 + d)^i of any purchase model, given its P(alive) and
    its E[purchases in (T, T+t] | alive, x], evaluated once per distinct (x, T)."""
    if isinstance(horizon_periods, bool) or int(horizon_periods) != horizon_periods:
        raise ValueError(f"horizon_periods must be a whole number, got {horizon_periods!r}")
    if not horizon_periods >= 0:
        raise ValueError(f"horizon_periods must be >= 0, got {horizon_periods!r}")
    if not (np.isfinite(period_length) and period_length > 0):
        raise ValueError(f"period_length must be a finite number > 0, got {period_length!r}")
    if not (np.isfinite(discount_rate_per_period) and discount_rate_per_period > -1):
        raise ValueError(
            "discount_rate_per_period must be a finite number > -1, "
            f"got {discount_rate_per_period!r}"
        )
    x, age, alive = np.broadcast_arrays(x, age, alive)
    steps = np.arange(1, int(horizon_periods) + 1)
    if x.size == 0 or steps.size == 0:
        return np.zeros(x.shape)
    discount = (1.0 + discount_rate_per_period) ** -steps.astype(np.float64)
    times = period_length * steps.astype(np.float64)  # E[Y(0)] = 0 needs no evaluation
    (uage, ux), _, inverse = btyd.compress([age.ravel(), x.ravel()], None)
    discounted = np.empty(ux.size)
    chunk = max(1, 2_000_000 // times.size)  # bound the (customers × times) grid in memory
    for start in range(0, ux.size, chunk):
        part = slice(start, start + chunk)
        q = if_alive(ux[part, None], uage[part, None], times[None, :])
        increments = np.maximum(np.diff(q, axis=1, prepend=0.0), 0.0)
        discounted[part] = np.einsum("ij,j->i", increments, discount)  # no threaded BLAS
    return alive * discounted[inverse].reshape(x.shape)


# ---------------------------------------------------------------------------------------------
# Inputs


def _params(params: Params, model: str, names: Sequence[str]) -> tuple[float, ...]:
    """The model's parameters from a Fit or a mapping, each a finite number > 0."""
    if isinstance(params, Fit):
        if params.model != model:
            raise ValueError(f"expected a {model} fit, got a {params.model} fit")
        params = params.params
    values = []
    for name in names:
        if name not in params:
            raise ValueError(f"{model} parameters must include {name!r}; got {sorted(params)}")
        value = float(params[name])
        if not (np.isfinite(value) and value > 0):
            raise ValueError(f"{model} parameter {name!r} must be finite and > 0, got {value!r}")
        values.append(value)
    return tuple(values)
