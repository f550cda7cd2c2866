"""The faster MBG/NBD and Pareto/NBD likelihoods and the Pareto/NBD start from a sample give the
results the straightforward per-row formulas and the generic start give."""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, gammaln

from tierwise.analytics import mbg_nbd, pareto_nbd
from tierwise.analytics.clv import _maximise
from tierwise.analytics.fit_inputs import scaled_rfm


def _customers(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simulated customers with repeat purchases and continuous ages (many distinct rows)."""
    rng = np.random.default_rng(seed)
    age = rng.uniform(0.5, 52.0, n)
    rate = rng.gamma(0.6, 1 / 4.0, n)
    life = rng.exponential(rng.gamma(0.8, 20.0, n))
    active = np.minimum(life, age)
    x = rng.poisson(rate * active).astype(np.float64)
    tx = np.where(x > 0, active * rng.beta(np.maximum(x, 1.0), 1.0), 0.0)
    return x, tx, age


def _mbg_rowwise(theta: np.ndarray, d: mbg_nbd.MbgData) -> tuple[float, np.ndarray]:
    """The MBG/NBD log-likelihood and gradient with every term evaluated per row."""
    r, alpha, a, b = np.exp(theta)
    x, w = d.x, d.w
    s = r + x
    l_t, l_tx = np.log(alpha + d.T), np.log(alpha + d.tx)
    bx = b + x
    log_odds = np.log(a) - np.log(bx) + s * (l_t - l_tx)
    rows = (
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
    g_r = digamma(s) - digamma(r) + np.log(alpha) - l_t + dead * (l_t - l_tx)
    g_alpha = r / alpha - s / (alpha + d.T) + dead * s * (1 / (alpha + d.T) - 1 / (alpha + d.tx))
    g_a = digamma(a + b) - digamma(a + bx + 1.0) + dead / a
    g_b = digamma(a + b) + digamma(bx + 1.0) - digamma(b) - digamma(a + bx + 1.0) - dead / bx
    grad = np.array([np.sum(w * g) for g in (g_r, g_alpha, g_a, g_b)]) * np.exp(theta)
    return float(np.sum(w * rows)), grad


def test_mbg_loglik_equals_the_rowwise_formula() -> None:
    x, tx, age = _customers(3000, 1)
    w = np.arange(1.0, x.size + 1) % 5 + 1
    data = mbg_nbd.MbgData(x, tx, age, w)
    for theta in (np.log([0.5, 4.0, 0.8, 2.5]), np.log([2.0, 0.3, 0.1, 9.0])):
        value, grad = mbg_nbd.loglik(theta, data)
        ref_value, ref_grad = _mbg_rowwise(theta, data)
        assert abs(value - ref_value) <= 1e-12 * abs(ref_value)
        np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-8)


def test_pareto_value_equals_the_rowwise_formula() -> None:
    x, tx, age = _customers(3000, 2)
    w = np.ones(x.size)
    data = pareto_nbd.ParetoData.build(x, tx, age, w)
    theta = np.log([0.55, 10.6, 0.6, 11.7])
    r, alpha, s, beta = np.exp(theta)
    alive, log_si = pareto_nbd._rows(r, alpha, s, beta, data)
    rowwise = np.sum(gammaln(r + x) + np.logaddexp(alive, log_si)) + x.size * (
        -gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    )
    value = pareto_nbd._value(theta, data)
    assert abs(value - rowwise) <= 1e-12 * abs(rowwise)


def test_pareto_fit_from_the_sample_start_reaches_the_generic_start_optimum() -> None:
    x, tx, age = _customers(50_000, 3)  # above 40,000 distinct rows: the sample start is used
    d = scaled_rfm(x, tx, age, None, "Pareto/NBD")
    assert d.x.size >= 2 * pareto_nbd._SAMPLE_ROWS
    data = pareto_nbd.ParetoData.build(d.x, d.tx, d.age, d.w)
    generic = _maximise(pareto_nbd.loglik, data, d.start, d.total)
    fit = pareto_nbd.fit(x, tx, age)
    assert fit.converged
    expected = np.exp(generic.x) * np.array([1.0, d.scale, 1.0, d.scale])
    got = np.array([fit.params[k] for k in pareto_nbd.PARETO_NBD])
    np.testing.assert_allclose(got, expected, rtol=1e-6)
