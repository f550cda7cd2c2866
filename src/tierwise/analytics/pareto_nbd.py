"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987): purchases at a Poisson rate λ ~ Gamma(r, α)
while alive, an exponential lifetime with rate μ ~ Gamma(s, β); the model BG/NBD approximates.

Same inputs and time units as ``clv``. With the gammas integrated out (Fader, Hardie & Lee 2005,
"A note on deriving the Pareto/NBD model and related expressions", eq. 2),

    L = Γ(r+x) α^r β^s / Γ(r) · [(α+T)^−(r+x) (β+T)^−s + s I],
    I = ∫_{t_x}^{T} (α+τ)^−(r+x) (β+τ)^−(s+1) dτ.

With M = max(α, β), m = min(α, β), k the exponent of the smaller one's factor, ρ = r+s+x and
z(v) = (M−m)/(M+v), the substitution u = 1/(M+τ) gives I = J(t_x) − J(T) with
J(v) = (M+v)^−ρ ₂F₁(k, ρ; ρ+1; z(v)) / ρ. For k > 1 that ₂F₁ grows like (1−z)^(1−k) and
overflows for large x, so Euler's transformation writes it as ((m+v)/(M+v))^(1−k)
₂F₁(ρ+1−k, 1; ρ+1; z), whose ₂F₁ stays below ρ/(k−1). Everything is summed in logs: J(t_x) − J(T)
as log J(t_x) + log(1 − e^(log J(T) − log J(t_x))) and the bracket as a logaddexp. The
parameters enter the ₂F₁ in ways without a closed-form derivative, so the gradient is taken by
central differences; the ₂F₁ is evaluated once per distinct (x, t_x) and (x, T).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, exprel, gammaln, hyp2f1

from tierwise.analytics import btyd
from tierwise.analytics.clv import (
    _LOG_BOUND,
    Fit,
    Params,
    _fit,
    _maximise,
    _params,
)
from tierwise.analytics.fit_inputs import ScaledRfm, _column, _rfm, scaled_rfm

PARETO_NBD = ("r", "alpha", "s", "beta")
_STEP = 1e-5  # central-difference step in the log-parameters


@dataclass(frozen=True)
class ParetoData:
    """Rows (x, t_x, T) with weights, and the distinct (x, t_x) and (x, T) pairs they use."""

    x: np.ndarray
    T: np.ndarray
    w: np.ndarray
    pairs_x: np.ndarray  # x of each distinct (x, v) pair, v = t_x pairs first, then T pairs
    pairs_v: np.ndarray
    at_tx: np.ndarray  # row -> its (x, t_x) pair
    at_T: np.ndarray  # row -> its (x, T) pair
    ux: np.ndarray = field(init=False)  # distinct frequencies
    nx: np.ndarray = field(init=False)  # customers per distinct frequency

    def __post_init__(self) -> None:
        ux, ix = np.unique(self.x, return_inverse=True)
        object.__setattr__(self, "ux", ux)
        object.__setattr__(self, "nx", np.bincount(ix.ravel(), weights=self.w, minlength=ux.size))

    @classmethod
    def build(cls, x: np.ndarray, tx: np.ndarray, T: np.ndarray, w: np.ndarray) -> ParetoData:
        (px, pv), _, inverse = btyd.compress(
            [np.concatenate([x, x]), np.concatenate([tx, T])], None
        )
        return cls(x, T, w, px, pv, inverse[: x.size], inverse[x.size :])


def _log_j(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, v: np.ndarray
) -> np.ndarray:
    """log J(v) = log ∫_0^{1/(M+v)} u^(ρ−1) (1 − (M−m) u)^−k du (see the module docstring)."""
    big, small = max(alpha, beta), min(alpha, beta)
    k = r + x if alpha < beta else np.full(x.shape, s + 1.0)
    rho = r + s + x
    z = (big - small) / (big + v)
    log_big = np.log(big + v)
    log_1mz = np.log(small + v) - log_big
    out = np.full(x.shape, np.nan)
    # Near z = 1 SciPy's ₂F₁ takes 30–90 µs a value and returns NaN for large parameters; the
    # quadrature takes a few µs there.
    series = z <= _SERIES_Z
    euler = series & (k > 1.0)
    plain = series & ~euler
    with np.errstate(divide="ignore", invalid="ignore"):
        out[euler] = (1.0 - k[euler]) * log_1mz[euler] + np.log(
            hyp2f1(rho[euler] + 1.0 - k[euler], 1.0, rho[euler] + 1.0, z[euler])
        )
        out[plain] = np.log(hyp2f1(k[plain], rho[plain], rho[plain] + 1.0, z[plain]))
    out += -rho * log_big - np.log(rho)
    bad = ~np.isfinite(out)
    if bad.any():
        out[bad] = _log_j_quad(k[bad], rho[bad], z[bad], log_1mz[bad], log_big[bad])
    return out


_SERIES_Z = 0.995
_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)
_REACH = 50.0  # e^−50 of the integrand is left out


def _log_j_quad(
    k: np.ndarray, rho: np.ndarray, z: np.ndarray, log_1mz: np.ndarray, log_big: np.ndarray
) -> np.ndarray:
    """log J by quadrature where SciPy's ₂F₁ fails (large ρ with z near 1 returns NaN).

    u = e^(−y/ρ)/(M+v) turns J into (M+v)^−ρ/ρ · (1−z)^−k ∫_0^∞ e^−y h(y) dy with
    h(y) = ((1−z)/(1−z + z(1 − e^(−y/ρ))))^k ∈ (0, 1], which falls from 1 over y ≈ ρ(1−z)/(z k)
    (k ≥ 1) like (1 + y/ε)^−k. With y = ε (e^q − 1) the integrand is smooth in q on
    [0, ln(1 + 50/ε)], so fixed Gauss–Legendre nodes serve every row at once, and the result
    varies smoothly with the parameters, as the central-difference gradient needs.
    """
    one_minus_z = np.exp(log_1mz)[:, None]
    zz = np.maximum(z, 1e-300)[:, None]
    scale = (rho * np.exp(log_1mz) / np.maximum(z, 1e-300) / np.maximum(k, 1.0))[:, None]
    half = 0.5 * np.log1p(_REACH / scale)
    q = half * (_NODES[None, :] + 1.0)
    y = scale * np.expm1(q)
    log_h = k[:, None] * (log_1mz[:, None] - np.log(one_minus_z - zz * np.expm1(-y / rho[:, None])))
    log_terms = -y + log_h + q + np.log(scale * half) + np.log(_WEIGHTS)[None, :]
    peak = log_terms.max(axis=1)
    total = np.log(np.exp(log_terms - peak[:, None]).sum(axis=1)) + peak
    return -rho * log_big - np.log(rho) - k * log_1mz + total


def _rows(
    r: float, alpha: float, s: float, beta: float, d: ParetoData
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the log of the alive-at-T term and of s I (−inf where t_x = T)."""
    log_j = _log_j(r, alpha, s, beta, d.pairs_x, d.pairs_v)
    j_tx, j_T = log_j[d.at_tx], log_j[d.at_T]
    with np.errstate(divide="ignore"):
        log_si = np.log(s) + j_tx + np.log(-np.expm1(np.minimum(j_T - j_tx, 0.0)))
    alive = -(r + d.x) * np.log(alpha + d.T) - s * np.log(beta + d.T)
    return alive, log_si


def _value(log_params: np.ndarray, d: ParetoData) -> float:
    r, alpha, s, beta = np.exp(log_params)
    alive, log_si = _rows(r, alpha, s, beta, d)
    rows = np.einsum("i,i->", d.w, np.logaddexp(alive, log_si))
    per_x = np.einsum("i,i->", d.nx, gammaln(r + d.ux))  # lnΓ(r+x) once per distinct x
    total = float(d.w.sum())
    return float(rows + per_x) + total * (-gammaln(r) + r * np.log(alpha) + s * np.log(beta))


def loglik(log_params: np.ndarray, d: ParetoData) -> tuple[float, np.ndarray]:
    """Total log-likelihood and its gradient (central differences) in log(r, alpha, s, beta)."""
    grad = np.empty(4)
    for i in range(4):
        step = np.zeros(4)
        step[i] = _STEP
        grad[i] = (_value(log_params + step, d) - _value(log_params - step, d)) / (2 * _STEP)
    return _value(log_params, d), grad


def fit(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, weights: ArrayLike | None = None
) -> Fit:
    """Maximum-likelihood Pareto/NBD parameters r, alpha, s, beta (time rescaled to max T = 1)."""
    d = scaled_rfm(frequency, recency, T, weights, "Pareto/NBD")
    data = ParetoData.build(d.x, d.tx, d.age, d.w)
    result = _maximise(loglik, data, _start(d), d.total)
    r, alpha, s, beta = np.exp(result.x)
    scale, total = d.scale, d.total
    ll = d.loglik(-result.fun * total)
    params = {"r": r, "alpha": alpha * scale, "s": s, "beta": beta * scale}
    return _fit("pareto_nbd", params, ll, total, result, PARETO_NBD)


_SAMPLE_ROWS = 20_000  # above this many distinct rows, start from a fit on a sample of them


def _start(d: ScaledRfm) -> np.ndarray:
    """Where the optimiser starts: the optimum of every k-th distinct row (each ₂F₁ evaluation
    of the whole costs what dozens of the sample's do), else the generic start."""
    step = d.x.size // _SAMPLE_ROWS
    if step < 2:
        return d.start
    rows = slice(0, None, step)
    x, tx, age, w = d.x[rows], d.tx[rows], d.age[rows], d.w[rows]
    sample = ParetoData.build(x, tx, age, w)
    result = _maximise(loglik, sample, d.start, float(w.sum()))
    inside = np.all(np.abs(result.x) < _LOG_BOUND - 1.0)
    return np.asarray(result.x) if np.isfinite(result.fun) and inside else d.start


def p_alive(params: Params, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
    """P(alive at T | x, t_x, T): the alive-at-T term's share of the bracket in L."""
    r, alpha, s, beta = _params(params, "pareto_nbd", PARETO_NBD)
    x, tx, age = _rfm(frequency, recency, T)
    shape = x.shape
    x, tx, age = x.ravel(), tx.ravel(), age.ravel()
    if x.size == 0:
        return np.ones(shape)
    alive, log_si = _rows(r, alpha, s, beta, ParetoData.build(x, tx, age, np.ones(x.size)))
    return np.asarray(expit(alive - log_si)).reshape(shape)


def if_alive(params: Params, x: np.ndarray, T: np.ndarray, t: np.ndarray) -> np.ndarray:
    """E[purchases in (T, T+t] | alive, x] = (r+x)/(α+T) · (β+T) (1 − ((β+T)/(β+T+t))^(s−1))/(s−1),
    with the last factor as ln(1 + t/(β+T)) · exprel, exact at s = 1 too."""
    r, alpha, s, beta = _params(params, "pareto_nbd", PARETO_NBD)
    span = np.log1p(t / (beta + T))
    return np.asarray((r + x) * (beta + T) / (alpha + T) * span * exprel(-(s - 1.0) * span))


def expected_purchases(
    params: Params, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Conditional expected repeat purchases in (T, T+t]: P(alive) × ``if_alive``."""
    x, tx, age = _rfm(frequency, recency, T)
    x, tx, age, horizon = np.broadcast_arrays(x, tx, age, _column("t", t))
    return p_alive(params, x, tx, age) * if_alive(params, x, age, horizon)
