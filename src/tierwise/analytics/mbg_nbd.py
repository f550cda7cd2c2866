"""MBG/NBD (Batislam, Denizel & Filiztekin 2007): BG/NBD with a chance to drop out at the first
purchase too, so a customer who never came back can be gone and P(alive) is below 1 for them.

Same inputs and time units as ``clv``: ``frequency`` (repeat purchases), ``recency`` and ``T``.
The log-likelihood is that of ``lifetimes.ModifiedBetaGeoFitter``:

    ll = lnΓ(r+x) − lnΓ(r) + r ln α + ln B(a, b+x+1) − ln B(a, b) − (r+x) ln(α+T)
         + log(1 + e^A),   A = ln a − ln(b+x) + (r+x) (ln(α+T) − ln(α+t_x)),

with A's softplus as a logaddexp and its gradient weighted by expit(A) = 1 − P(alive).
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    """Distinct (x, t_x, T) rows with their customer counts, and their distinct frequencies."""

    x: np.ndarray
    tx: np.ndarray
    T: np.ndarray
    w: np.ndarray
    ux: np.ndarray = field(init=False)  # distinct frequencies
    ix: np.ndarray = field(init=False)  # row -> index into ux
    nx: np.ndarray = field(init=False)  # customers per distinct frequency

    def __post_init__(self) -> None:
        ux, ix = np.unique(self.x, return_inverse=True)
        object.__setattr__(self, "ux", ux)
        object.__setattr__(self, "ix", ix.ravel())
        object.__setattr__(self, "nx", np.bincount(self.ix, weights=self.w, minlength=ux.size))


def loglik(log_params: np.ndarray, d: MbgData) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient with respect to log(r, alpha, a, b).

    The gamma and digamma terms depend on the frequency only and are evaluated once per distinct
    frequency; each row costs two logarithms, the softplus and its weight.
    """
    r, alpha, a, b = np.exp(log_params)
    w, ux, nx, total = d.w, d.ux, d.nx, float(d.nx.sum())
    s = r + d.x
    l_t = np.log(alpha + d.T)
    l_tx = np.log(alpha + d.tx)
    log_odds = (np.log(a) - np.log(b + ux))[d.ix] + s * (l_t - l_tx)
    per_x = gammaln(r + ux) + gammaln(b + ux + 1.0) - gammaln(a + b + ux + 1.0)
    ll = (
        _sum(nx, per_x)
        + total * (r * np.log(alpha) - gammaln(r) + gammaln(a + b) - gammaln(b))
        + _sum(w, np.logaddexp(0.0, log_odds) - s * l_t)
    )
    wd = w * expit(log_odds)  # customers' weight times P(dead)
    dead_x = np.bincount(d.ix, weights=wd, minlength=ux.size)
    dig_ab = digamma(a + b)
    dig_abx = digamma(a + b + ux + 1.0)
    inv_t = 1.0 / (alpha + d.T)
    g_r = (
        _sum(nx, digamma(r + ux))
        + total * (np.log(alpha) - digamma(r))
        - _sum(w, l_t)
        + _sum(wd, l_t - l_tx)
    )
    g_alpha = total * r / alpha - _sum(w, s * inv_t) + _sum(wd, s * (inv_t - 1.0 / (alpha + d.tx)))
    g_a = total * dig_ab - _sum(nx, dig_abx) + dead_x.sum() / a
    g_b = total * (dig_ab - digamma(b)) + _sum(nx, digamma(b + ux + 1.0) - dig_abx)
    g_b -= _sum(dead_x, 1.0 / (b + ux))
    grad = np.array([g_r * r, g_alpha * alpha, g_a * a, g_b * b])
    return float(ll), grad


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
