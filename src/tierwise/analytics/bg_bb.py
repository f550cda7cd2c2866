"""BG/BB (Fader, Hardie & Shang 2010): buy-till-you-die for discrete opportunities (yearly
donations, annual events): each of n periods a transaction with probability p ~ Beta(α, β) while
alive, and a dropout after each period with probability θ ~ Beta(γ, δ).

Inputs are ``frequency`` x (periods with a transaction after the first), ``recency`` t_x (the
period of the last one, 0 if none) and ``periods`` n. Eq. (5) of the paper,

    L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
        + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α,β) · B(γ+1, δ+t_x+i)/B(γ,δ),

is summed with log-sum-exp over its terms, each a difference of log-Beta functions, and its
gradient is the softmax-weighted gradient of the terms (digamma differences).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import betaln, digamma, gammaln, logsumexp, softmax

from tierwise.analytics import btyd
from tierwise.analytics.clv import Fit, Params, _fit, _maximise, _params
from tierwise.analytics.fit_inputs import _column, _weights

BG_BB = ("alpha", "beta", "gamma", "delta")


@dataclass(frozen=True)
class BbData:
    """Distinct (x, t_x, n) rows with weights."""

    x: np.ndarray
    tx: np.ndarray
    n: np.ndarray
    w: np.ndarray


def _log_beta_ratio(
    a: float, b: float, da: np.ndarray, db: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ln B(a+da, b+db) − ln B(a, b) and its derivatives with respect to a and b."""
    value = betaln(a + da, b + db) - betaln(a, b)
    both = digamma(a + b + da + db) - digamma(a + b)
    return value, digamma(a + da) - digamma(a) - both, digamma(b + db) - digamma(b) - both


def _terms(log_params: np.ndarray, d: BbData) -> tuple[np.ndarray, np.ndarray]:
    """Log of each term of L per row (−inf where absent) and gradients, shape (4, rows, terms)."""
    alpha, beta, gamma, delta = np.exp(log_params)
    i = np.arange(int(np.max(d.n - d.tx)))[None, :]
    x, tx, n = d.x[:, None], d.tx[:, None], d.n[:, None]
    present = i < n - tx
    # Column 0 is the alive-throughout term, columns 1.. the dropouts after period t_x + i.
    p_da = np.broadcast_to(x, (x.size, present.shape[1] + 1))
    p_db = np.concatenate([n - x, np.where(present, tx - x + i, 0.0)], axis=1)
    t_da = np.concatenate([np.zeros_like(x), np.ones(present.shape)], axis=1)
    t_db = np.concatenate([n, np.where(present, tx + i, 0.0)], axis=1)
    lp, ga, gb = _log_beta_ratio(alpha, beta, p_da, p_db)
    lt, gg, gd = _log_beta_ratio(gamma, delta, t_da, t_db)
    mask = np.concatenate([np.ones_like(x, dtype=bool), present], axis=1)
    logs = np.where(mask, lp + lt, -np.inf)
    grads = np.stack([ga * alpha, gb * beta, gg * gamma, gd * delta])
    return logs, grads


def loglik(log_params: np.ndarray, d: BbData) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient with respect to log(alpha, beta, gamma, delta)."""
    logs, grads = _terms(log_params, d)
    rows = logsumexp(logs, axis=1)
    share = softmax(logs, axis=1)
    grad = np.einsum("r,krt,rt->k", d.w, grads, share)
    return float(np.einsum("r,r->", d.w, rows)), grad


def _bb_rows(
    frequency: ArrayLike, recency: ArrayLike, periods: ArrayLike
) -> tuple[np.ndarray, ...]:
    """Validated (x, t_x, n): whole numbers with x ≤ t_x ≤ n, and t_x = 0 exactly when x = 0."""
    x, tx, n = (
        _column(name, v)
        for name, v in zip(
            ("frequency", "recency", "periods"), (frequency, recency, periods), strict=True
        )
    )
    x, tx, n = (v.ravel() for v in np.broadcast_arrays(x, tx, n))
    for name, v in (("frequency", x), ("recency", tx), ("periods", n)):
        if (v != np.round(v)).any():
            raise ValueError(f"{name} must count whole periods")
    if (x > tx).any() or (tx > n).any() or ((x == 0) != (tx == 0)).any():
        raise ValueError(
            "BG/BB needs frequency <= recency <= periods, recency 0 only without repeats"
        )
    return x, tx, n


def fit(
    frequency: ArrayLike, recency: ArrayLike, periods: ArrayLike, weights: ArrayLike | None = None
) -> Fit:
    """Maximum-likelihood BG/BB parameters alpha, beta, gamma, delta."""
    x, tx, n = _bb_rows(frequency, recency, periods)
    w = _weights(weights, x.size)
    keep = w > 0
    if not keep.any() or not (n[keep] > 0).any():
        raise ValueError("no customers with at least one period to fit the BG/BB model on")
    (ux, utx, un), uw, _ = btyd.compress([x[keep], tx[keep], n[keep]], w[keep])
    total = float(uw.sum())
    result = _maximise(loglik, BbData(ux, utx, un, uw), np.zeros(4), total)
    params = dict(zip(BG_BB, np.exp(result.x), strict=True))
    return _fit("bg_bb", params, -result.fun * total, total, result, BG_BB)


def p_alive(
    params: Params, frequency: ArrayLike, recency: ArrayLike, periods: ArrayLike
) -> np.ndarray:
    """P(alive in period n+1 | x, t_x, n), eq. (11): the alive-throughout term with one more
    survival, over L."""
    theta = np.log(_params(params, "bg_bb", BG_BB))
    x, tx, n = _bb_rows(frequency, recency, periods)
    logs, _ = _terms(theta, BbData(x, tx, n, np.ones(x.size)))
    gamma, delta = np.exp(theta[2:])
    survive = betaln(gamma, delta + n + 1.0) - betaln(gamma, delta + n)
    return np.asarray(np.exp(logs[:, 0] + survive - logsumexp(logs, axis=1)))


def expected_transactions(
    params: Params, future: ArrayLike, frequency: ArrayLike, recency: ArrayLike, periods: ArrayLike
) -> np.ndarray:
    """Expected transactions in the next ``future`` periods, eq. (13):

        1/L · B(α+x+1, β+n−x)/B(α,β) · δ/(γ−1) · Γ(γ+δ)/Γ(1+δ)
            · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+n*)/Γ(γ+δ+n+n*)],

    with the bracket over (γ−1) as −Γ(1+δ+n)/Γ(γ+δ+n) · expm1(D)/(γ−1), D the log-ratio of its
    two terms, so no difference of nearly equal numbers is taken.
    """
    theta = np.log(_params(params, "bg_bb", BG_BB))
    alpha, beta, gamma, delta = np.exp(theta)
    x, tx, n = _bb_rows(frequency, recency, periods)
    ahead = np.broadcast_to(_column("future", future), x.shape)
    logs, _ = _terms(theta, BbData(x, tx, n, np.ones(x.size)))
    first = gammaln(1.0 + delta + n) - gammaln(gamma + delta + n)
    later = gammaln(1.0 + delta + n + ahead) - gammaln(gamma + delta + n + ahead)
    log_lead = (
        betaln(alpha + x + 1.0, beta + n - x)
        - betaln(alpha, beta)
        + np.log(delta)
        + gammaln(gamma + delta)
        - gammaln(1.0 + delta)
        + first
        - logsumexp(logs, axis=1)
    )
    return np.asarray(np.exp(log_lead) * -np.expm1(later - first) / (gamma - 1.0))
