"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with a chance to drop out at the first
purchase too, so a customer who never came back can be gone and P(alive) is below 1 for them.

Same inputs and time units as ``clv``: ``frequency`` (repeat purchases), ``recency`` and ``T``.
The log-likelihood is that of ``lifetimes.ModifiedBetaGeoFitter``:

    ll = lnΓ(r+x) − lnΓ(r) + r ln α + ln B(a, b+x+1) − ln B(a, b) − (r+x) ln(α+T)
         + log(1 + e^A),   A = ln a − ln(b+x) + (r+x) (ln(α+T) − ln(α+t_x)),

with A's softplus as a logaddexp and its gradient weighted by expit(A) = 1 − P(alive).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import digamma, expit, gammaln

from tierwise.analytics import btyd
from tierwise.analytics.clv import (
    Fit,
    Params,
    _fit,
    _maximise,
    _params,
)
from tierwise.analytics.fit_inputs import _column, _rfm, scaled_rfm

MBG_NBD = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class MbgData:
    """Distinct (x, t_x, T) rows with their customer counts."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    w: np.ndarray


def loglik(log_params: np.ndarray, d: MbgData) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient with respect to log(r, alpha, a, b)."""
    r, alpha, a, b = np.exp(log_params)
    x, w = d.x, d.w
    s = r + x
    l_t = np.log(alpha + d.T)
    l_tx = np.log(alpha + d.tx)
    bx = b + x
    log_odds = np.log(a) - np.log(bx) + s * (l_t - l_tx)
    ll_rows = (
        gammaln(s)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        + gammaln(bx + 1.0)
        - gammaln(b)
        - gammaln(a + bx + 1.0)
        - s * l_t
        + np.logaddexp(0.0, log_odds)
    )
    dead = expit(log_odds)
    dig_ab = digamma(a + b)
    dig_abx = digamma(a + bx + 1.0)
    g_r = digamma(s) - digamma(r) + np.log(alpha) - l_t + dead * (l_t - l_tx)
    g_alpha = (
        r / alpha - s / (alpha + d.T) + dead * s * (1.0 / (alpha + d.T) - 1.0 / (alpha + d.tx))
    )
    g_a = dig_ab - dig_abx + dead / a
    g_b = dig_ab + digamma(bx + 1.0) - digamma(b) - dig_abx - dead / bx
    grad = np.array([_sum(w, g) for g in (g_r, g_alpha, g_a, g_b)]) * np.array([r, alpha, a, b])
    return _sum(w, ll_rows), grad


def _sum(w: np.ndarray, v: np.ndarray) -> float:
    """Σ w v without threaded BLAS (see ``btyd._dot``)."""
    return float(np.einsum("i,i->", w, v))


def fit(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> Fit:
    """Maximum-likelihood MBG/NBD parameters r, alpha, a, b (time rescaled to max T = 1)."""
    d = scaled_rfm(frequency, recency, T, weights, "MBG/NBD")
    data = MbgData(d.x, d.tx, d.age, d.w)
    result = _maximise(loglik, data, d.start, d.total)
    r, alpha, a, b = np.exp(result.x)
    scale, total = d.scale, d.total
    ll = d.loglik(-result.fun * total)
    return _fit(
        "mbg_nbd", {"r": r, "alpha": alpha * scale, "a": a, "b": b}, ll, total, result, MBG_NBD
    )


def p_alive(params: Params, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(alive at T) = 1 / (1 + a/(b+x) ((α+T)/(α+t_x))^(r+x)), for every customer."""
    r, alpha, a, b = _params(params, "mbg_nbd", MBG_NBD)
    x, tx, age = _rfm(frequency, recency, T)
    return _p_alive(r, alpha, a, b, x, tx, age)


def _p_alive(
    r: float, alpha: float, a: float, b: float, x: np.ndarray, tx: np.ndarray, T: np.ndarray
) -> np.ndarray:
    log_odds = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx))
    return np.asarray(expit(-log_odds))


def if_alive(params: Params, x: np.ndarray, T: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T+t] | alive, x]: BG/NBD's with b + 1, since an alive customer has
    survived x + 1 dropout chances (posterior dropout probability Beta(a, b+x+1))."""
    r, alpha, a, b = _params(params, "mbg_nbd", MBG_NBD)
    return btyd.purchases_if_alive(r, alpha, a, b + 1.0, x, T, t)


def expected_purchases(
    params: Params, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Conditional expected repeat purchases in (T, T+t]: P(alive) × ``if_alive``."""
    r, alpha, a, b = _params(params, "mbg_nbd", MBG_NBD)
    x, tx, age = _rfm(frequency, recency, T)
    x, tx, age, horizon = np.broadcast_arrays(x, tx, age, _column("t", t))
    if x.size == 0:
        return np.zeros(x.shape)
    (uage, uh, ux), _, inverse = btyd.compress([age.ravel(), horizon.ravel(), x.ravel()], None)
    q = btyd.purchases_if_alive(r, alpha, a, b + 1.0, ux, uage, uh)[inverse].reshape(x.shape)
    return _p_alive(r, alpha, a, b, x, tx, age) * q
