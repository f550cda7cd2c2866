"""How sure the fitted models are: standard errors of their parameters from the observed
information, and intervals for each customer's expected purchases and CLV and for customer equity.

The covariance of the log-parameters is the inverse of the negative Hessian of the total
log-likelihood at the MLE, taken by central differences of each model's own gradient on the
compressed rows the fit ran on (the Hessian in log-parameters does not change when time or money
is rescaled). Standard errors on the natural scale follow by the delta method, se(θ) = θ ·
se(log θ). A prediction g's variance is ∇g' Σ ∇g, with ∇g by central differences in the
log-parameters, vectorised over customers: 2k evaluations of the prediction, whatever the number
of customers. The interval is symmetric on the log scale, g · exp(± z sd(g)/g), so it stays
positive and holds the point estimate. It states parameter uncertainty only (see docs/analytics.md).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from tierwise.analytics import bg_bb, btyd, clv, mbg_nbd, pareto_nbd, purchase
from tierwise.analytics.fit_inputs import _frequency_monetary, _weights, scaled_rfm

LEVEL = 0.90  # the intervals shown are 90% intervals
_STEP = 1e-4  # central-difference step in the log-parameters for a prediction's gradient
# The Hessian's step is wider: Pareto/NBD's gradient is itself a difference quotient, whose
# rounding a narrow step would magnify; the analytic gradients lose nothing to it (1e-6).
_HESSIAN_STEP = 1e-3
_LOG_BOUND = 30.0  # the optimiser's bound on the log-parameters (clv._LOG_BOUND)
_FLAT = 1e-5  # curvature below this share of the largest is rounding: a flat direction
LogLik = Callable[[np.ndarray, Any], tuple[float, np.ndarray]]
Covariance = tuple[np.ndarray | None, bool]  # and whether every direction is identified
Curvature = Callable[[np.ndarray], np.ndarray]  # log-parameters -> Hessian of the log-likelihood
NAMES = {
    "bg_nbd": clv.BG_NBD,
    "pareto_nbd": pareto_nbd.PARETO_NBD,
    "mbg_nbd": mbg_nbd.MBG_NBD,
    "bg_bb": bg_bb.BG_BB,
    "gamma_gamma": clv.GAMMA_GAMMA,
}


@dataclass(frozen=True)
class Spread:
    """A fit and the covariance of its log-parameters (None where the data identify nothing)."""

    fit: clv.Fit
    covariance: np.ndarray | None
    identified: bool = True  # False: a flat direction is left out of the covariance

    @property
    def log_params(self) -> np.ndarray:
        """The fitted parameters' logs, in the model's order."""
        return np.log([self.fit.params[name] for name in NAMES[self.fit.model]])

    def standard_errors(self) -> dict[str, float] | None:
        """Standard error of each parameter on its natural scale (delta method)."""
        if self.covariance is None or not self.identified:
            return None
        se = np.exp(self.log_params) * np.sqrt(np.diag(self.covariance))
        return {name: float(v) for name, v in zip(NAMES[self.fit.model], se, strict=True)}

    def at(self, log_params: np.ndarray) -> clv.Fit:
        """The same fit with other parameters, for evaluating a prediction's gradient."""
        params = dict(zip(NAMES[self.fit.model], np.exp(log_params).tolist(), strict=True))
        return dataclasses.replace(self.fit, params=params)


# ---------------------------------------------------------------------------------------------
# Standard errors


def purchase_spread(
    fit: clv.Fit,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> Spread:
    """The covariance of a BG/NBD, Pareto/NBD or MBG/NBD fit on the customers it was fitted on."""
    d = scaled_rfm(frequency, recency, T, weights, fit.model)
    curvature: Curvature
    if fit.model == "bg_nbd":
        curvature = by_gradient(btyd.bg_nbd_loglik, btyd.BgData.build(d.x, d.tx, d.age, d.w))
    elif fit.model == "pareto_nbd":
        # Its gradient costs nine likelihoods; second differences of the value cost fewer.
        data = pareto_nbd.ParetoData.build(d.x, d.tx, d.age, d.w)
        curvature = by_value(lambda theta: pareto_nbd._value(theta, data))
    elif fit.model == "mbg_nbd":
        curvature = by_gradient(mbg_nbd.loglik, mbg_nbd.MbgData(d.x, d.tx, d.age, d.w))
    else:
        raise ValueError(f"not a purchase model fitted on (frequency, recency, T): {fit.model}")
    spread = Spread(fit, None)
    theta = spread.log_params - np.log(
        [d.scale if n in ("alpha", "beta") else 1.0 for n in NAMES[fit.model]]
    )
    return Spread(fit, *_covariance(curvature, theta))


def gamma_gamma_spread(
    fit: clv.Fit, frequency: ArrayLike, monetary: ArrayLike, weights: ArrayLike | None = None
) -> Spread:
    """The covariance of a Gamma-Gamma fit on the repeat buyers it was fitted on."""
    x, m = (v.ravel() for v in _frequency_monetary(frequency, monetary))
    w = _weights(weights, x.size)
    keep = (x > 0) & (w > 0)
    x, m, w = x[keep], m[keep], w[keep]
    scale = float(np.sum(w * m)) / float(w.sum())
    (um, ux), uw, _ = btyd.compress([m, x], w)
    theta = Spread(fit, None).log_params - np.log([1.0, 1.0, scale])
    data = btyd.GgData.build(ux, um / scale, uw)
    return Spread(fit, *_covariance(by_gradient(btyd.gamma_gamma_loglik, data), theta))


def bg_bb_spread(
    fit: clv.Fit,
    frequency: ArrayLike,
    recency: ArrayLike,
    periods: ArrayLike,
    weights: ArrayLike | None = None,
) -> Spread:
    """The covariance of a BG/BB fit on the donors it was fitted on."""
    x, tx, n = bg_bb._bb_rows(frequency, recency, periods)
    w = _weights(weights, x.size)
    keep = w > 0
    (ux, utx, un), uw, _ = btyd.compress([x[keep], tx[keep], n[keep]], w[keep])
    data = bg_bb.BbData(ux, utx, un, uw)
    return Spread(fit, *_covariance(by_gradient(bg_bb.loglik, data), Spread(fit, None).log_params))


def by_gradient(loglik: LogLik, data: object) -> Curvature:
    """The Hessian of the log-likelihood by central differences of its gradient."""

    def hessian(theta: np.ndarray) -> np.ndarray:
        k = theta.size
        out = np.empty((k, k))
        for j in range(k):
            step = np.zeros(k)
            step[j] = _HESSIAN_STEP
            out[:, j] = (loglik(theta + step, data)[1] - loglik(theta - step, data)[1]) / (
                2 * _HESSIAN_STEP
            )
        return out

    return hessian


def by_value(value: Callable[[np.ndarray], float]) -> Curvature:
    """The Hessian of the log-likelihood by second differences of its value."""

    def hessian(theta: np.ndarray) -> np.ndarray:
        k, h = theta.size, _HESSIAN_STEP
        steps = np.eye(k) * h
        centre = value(theta)
        out = np.empty((k, k))
        for i in range(k):
            up, down = value(theta + steps[i]), value(theta - steps[i])
            out[i, i] = (up - 2 * centre + down) / h**2
            for j in range(i):
                corners = (
                    value(theta + steps[i] + steps[j])
                    - value(theta + steps[i] - steps[j])
                    - value(theta - steps[i] + steps[j])
                    + value(theta - steps[i] - steps[j])
                )
                out[i, j] = out[j, i] = corners / (4 * h**2)
        return out

    return hessian


def _covariance(hessian_at: Curvature, theta: np.ndarray) -> Covariance:
    """The inverse of the observed information −∂²ll/∂θ² at θ, on the directions the data
    identify; None where a parameter ran off to the optimiser's bound or nothing is identified.

    A direction whose curvature is lost in rounding (below _FLAT of the largest) is a ridge the
    optimum runs along towards a limit: Pareto/NBD's s and β growing together when everyone
    drops out at one rate. It is left out, so the parameters get no standard errors, while the
    predictions, which reach their limit along the ridge and so do not move along it, keep their
    intervals. A ridge the data do bound (BG/NBD's a and b when hardly anyone drops out) stays
    in: huge standard errors for a and b, and intervals that barely notice them."""
    if (np.abs(theta) >= _LOG_BOUND - 1e-3).any():
        return None, False
    hessian = hessian_at(theta)
    information = -(hessian + hessian.T) / 2
    if not np.isfinite(information).all():
        return None, False
    curvature, directions = np.linalg.eigh(information)
    kept = curvature > _FLAT * curvature.max()
    if not kept.any():
        return None, False
    inverse = np.einsum(
        "ik,k,jk->ij", directions[:, kept], 1.0 / curvature[kept], directions[:, kept]
    )
    return inverse, bool(kept.all())


# ---------------------------------------------------------------------------------------------
# Intervals


@dataclass(frozen=True)
class Interval:
    """Point estimates with the low and high ends of their interval (NaN where not known)."""

    value: np.ndarray
    low: np.ndarray
    high: np.ndarray


def interval(value: ArrayLike, variance: ArrayLike, level: float = LEVEL) -> Interval:
    """value · exp(± z sd/value): positive, holding the value, z for the two-sided level."""
    g = np.asarray(value, np.float64)
    sd = np.sqrt(np.maximum(np.asarray(variance, np.float64), 0.0))
    z = float(norm.ppf(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.where(g > 0, np.exp(z * sd / g), 1.0)
    return Interval(g, g / spread, g * spread)


def gradient(
    spread: Spread, predict: Callable[[clv.Fit], np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """A prediction at the fit and its gradient in the log-parameters, shape (k, customers)."""
    theta = spread.log_params
    value = predict(spread.fit)
    rows = []
    for j in range(theta.size):
        step = np.zeros(theta.size)
        step[j] = _STEP
        rows.append(
            (predict(spread.at(theta + step)) - predict(spread.at(theta - step))) / (2 * _STEP)
        )
    return value, np.stack(rows)


def variance(grad: np.ndarray, covariance: np.ndarray | None) -> np.ndarray:
    """∇g' Σ ∇g per customer (columns of ``grad``); NaN without a covariance."""
    if covariance is None:
        return np.full(grad.shape[1:], np.nan)
    weighted = np.einsum("ij,jc->ic", covariance, grad)  # no threaded BLAS (btyd._dot)
    return np.einsum("ic,ic->c", grad, weighted)


def purchases_interval(
    used: Spread, horizon: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Interval:
    """Expected purchases over ``horizon`` under the purchase model in use, with its interval."""
    model = purchase.MODELS[used.fit.model]  # type: ignore[index]
    value, grad = gradient(
        used, lambda fit: model.expected_purchases(fit, horizon, frequency, recency, T)
    )
    return interval(value, variance(grad, used.covariance))


@dataclass(frozen=True)
class Customers:
    """What CLV needs of each customer: the purchase summary, mean spend and margin."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary: np.ndarray
    margin: np.ndarray
    population_mean: float | None = None  # spend of one-time buyers where q ≤ 1


def clv_intervals(
    used: Spread,
    spend: Spread,
    customers: Customers,
    horizon_periods: int,
    period_length: float,
    discount_rate_per_period: float,
) -> tuple[Interval, Interval]:
    """Each customer's CLV and customer equity (their sum), each with its interval.

    CLV is discounted purchases × spend × margin, so its gradient in the spend model's
    parameters is CLV/spend times the spend's: the purchases are evaluated 2k times, not 2(k+3).
    The two fits are independent, so their covariances form the blocks of one. The gradient of
    a sum is the sum of the gradients, so equity's variance is exact within the delta method.
    """
    c = customers

    def value(purchases: clv.Fit, gg: clv.Fit) -> np.ndarray:
        return purchase.discounted_clv(
            purchases,
            gg,
            c.frequency,
            c.recency,
            c.T,
            c.monetary,
            c.margin,
            horizon_periods,
            period_length,
            discount_rate_per_period,
            c.population_mean,
        )

    def spent(gg: clv.Fit) -> np.ndarray:
        return clv.expected_spend(gg, c.frequency, c.monetary, c.population_mean)

    point, by_purchases = gradient(used, lambda fit: value(fit, spend.fit))
    per_purchase, by_spend = gradient(spend, spent)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_spend = by_spend * np.where(per_purchase > 0, point / per_purchase, 0.0)
    grad = np.concatenate([by_purchases, by_spend])
    covariance = _block(used.covariance, spend.covariance)
    known = np.isfinite(point)
    total = grad[:, known].sum(axis=1, keepdims=True)
    equity = interval(point[known].sum(keepdims=True), variance(total, covariance))
    return interval(point, variance(grad, covariance)), equity


def _block(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """The joint covariance of two independent fits."""
    if a is None or b is None:
        return None
    out = np.zeros((a.shape[0] + b.shape[0],) * 2)
    out[: a.shape[0], : a.shape[0]] = a
    out[a.shape[0] :, a.shape[0] :] = b
    return out
