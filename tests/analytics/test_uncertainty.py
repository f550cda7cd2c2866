"""Standard errors of the fitted models and the intervals of expected purchases, CLV and customer
equity: against lifetimes on CDNOW, against a direct computation by hand, and as stored."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from tierwise.analytics import bg_bb, clv, mbg_nbd, pareto_nbd, uncertainty

lifetimes = pytest.importorskip("lifetimes", reason="lifetimes is a dev extra")
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value  # noqa: E402

Z90 = 1.6448536269514722


@pytest.fixture(scope="module")
def cdnow() -> tuple[np.ndarray, ...]:
    """The published CDNOW calibration summary in weeks: x, t_x, T and mean repeat value."""
    data = load_cdnow_summary_data_with_monetary_value()
    return tuple(
        data[c].to_numpy(np.float64) for c in ("frequency", "recency", "T", "monetary_value")
    )


def close(ours: dict[str, float] | None, theirs: dict[str, float], rel: float = 1e-2) -> None:
    assert ours is not None
    assert set(ours) == set(theirs)
    for name, value in theirs.items():
        assert ours[name] == pytest.approx(value, rel=rel), name


def test_bg_nbd_standard_errors_are_lifetimes(cdnow: tuple[np.ndarray, ...]) -> None:
    f, r, T, _m = cdnow
    fit = clv.fit_bg_nbd(f, r, T)
    theirs = lifetimes.BetaGeoFitter().fit(f, r, T).standard_errors_
    close(uncertainty.purchase_spread(fit, f, r, T).standard_errors(), dict(theirs))
    # r 0.243 ± 0.0126, alpha 4.414 ± 0.378, a 0.793 ± 0.186, b 2.426 ± 0.705
    assert theirs["r"] == pytest.approx(0.01256, abs=1e-5)


def test_mbg_nbd_standard_errors_are_lifetimes(cdnow: tuple[np.ndarray, ...]) -> None:
    f, r, T, _m = cdnow
    fit = mbg_nbd.fit(f, r, T)
    theirs = lifetimes.ModifiedBetaGeoFitter().fit(f, r, T).standard_errors_
    close(uncertainty.purchase_spread(fit, f, r, T).standard_errors(), dict(theirs))


def test_gamma_gamma_standard_errors_are_lifetimes(cdnow: tuple[np.ndarray, ...]) -> None:
    f, _r, _T, m = cdnow
    repeat = f > 0
    fit = clv.fit_gamma_gamma(f, m, weights=repeat.astype(np.float64))
    theirs = lifetimes.GammaGammaFitter().fit(f[repeat], m[repeat]).standard_errors_
    spread = uncertainty.gamma_gamma_spread(fit, f, m, repeat.astype(np.float64))
    close(spread.standard_errors(), dict(theirs))


def test_pareto_nbd_standard_errors_are_those_of_lifetimes_likelihood(
    cdnow: tuple[np.ndarray, ...],
) -> None:
    """lifetimes gives no standard errors for Pareto/NBD (its autograd Hessian cannot pass its
    ₂F₁), so its own negative log-likelihood is differentiated twice here by differences."""
    f, r, T, _m = cdnow
    fit = pareto_nbd.fit(f, r, T)
    fitter = lifetimes.ParetoNBDFitter().fit(f, r, T)
    scale = fitter._scale
    natural = fitter.params_.to_numpy()
    theta = np.log(natural * [1.0, scale, 1.0, scale])
    weights = np.ones_like(f)

    def nll(log_params: np.ndarray) -> float:
        return float(
            fitter._negative_log_likelihood(
                np.exp(log_params), f, r * scale, T * scale, weights, 0.0
            )
        )

    h = 1e-3
    steps = np.eye(4) * h
    hessian = np.array(
        [
            [
                (
                    nll(theta + steps[i] + steps[j])
                    - nll(theta + steps[i] - steps[j])
                    - nll(theta - steps[i] + steps[j])
                    + nll(theta - steps[i] - steps[j])
                )
                / (4 * h * h)
                for j in range(4)
            ]
            for i in range(4)
        ]
    )
    theirs = dict(
        zip(
            ("r", "alpha", "s", "beta"),
            natural * np.sqrt(np.diag(np.linalg.inv(hessian))),
            strict=True,
        )
    )
    close(uncertainty.purchase_spread(fit, f, r, T).standard_errors(), theirs)


def test_bg_bb_standard_errors_are_lifetimes() -> None:
    donations = lifetimes.datasets.load_donations()
    x, tx, n, w = (
        donations[c].to_numpy(np.float64) for c in ("frequency", "recency", "periods", "weights")
    )
    fit = bg_bb.fit(x, tx, n, weights=w)
    theirs = lifetimes.BetaGeoBetaBinomFitter().fit(x, tx, n, weights=w).standard_errors_
    close(uncertainty.bg_bb_spread(fit, x, tx, n, weights=w).standard_errors(), dict(theirs))


def test_twice_the_customers_halve_the_variance_and_narrow_the_intervals(
    cdnow: tuple[np.ndarray, ...],
) -> None:
    f, r, T, _m = cdnow
    once = uncertainty.purchase_spread(clv.fit_bg_nbd(f, r, T), f, r, T)
    twice_fit = clv.fit_bg_nbd(f, r, T, weights=np.full(f.size, 2.0))
    twice = uncertainty.purchase_spread(twice_fit, f, r, T, weights=np.full(f.size, 2.0))
    assert once.covariance is not None and twice.covariance is not None
    np.testing.assert_allclose(twice.covariance, once.covariance / 2, rtol=1e-3)
    wide = uncertainty.purchases_interval(once, 52.0, f, r, T)
    narrow = uncertainty.purchases_interval(twice, 52.0, f, r, T)
    ratio = np.log(narrow.high / narrow.value) / np.log(wide.high / wide.value)
    np.testing.assert_allclose(ratio, 1 / np.sqrt(2), rtol=1e-3)


def test_intervals_hold_the_point_estimate(cdnow: tuple[np.ndarray, ...]) -> None:
    f, r, T, m = cdnow
    used = uncertainty.purchase_spread(clv.fit_bg_nbd(f, r, T), f, r, T)
    repeat = (f > 0).astype(np.float64)
    gg = clv.fit_gamma_gamma(f, m, weights=repeat)
    spend = uncertainty.gamma_gamma_spread(gg, f, m, repeat)
    purchases = uncertainty.purchases_interval(used, 52.0, f, r, T)
    expected = clv.expected_purchases(used.fit, 52.0, f, r, T)
    np.testing.assert_allclose(purchases.value, expected, rtol=1e-12)
    assert (purchases.low < purchases.value).all() and (purchases.value < purchases.high).all()
    customers = uncertainty.Customers(f, r, T, m, np.full(f.size, 0.3))
    values, equity = uncertainty.clv_intervals(used, spend, customers, 12, 52 / 12, 0.01)
    assert (values.low < values.value).all() and (values.value < values.high).all()
    assert equity.low[0] < values.value.sum() < equity.high[0]
    assert equity.value[0] == pytest.approx(values.value.sum(), rel=1e-12)


# A hand-built example: five customers, parameters and covariances chosen by hand.
BG = {"r": 0.5, "alpha": 4.0, "a": 0.8, "b": 2.5}
GG = {"p": 6.0, "q": 4.0, "v": 15.0}
COV_BG = np.array(
    [[0.02, 0.01, 0.0, 0.0], [0.01, 0.03, 0.0, 0.0], [0.0, 0.0, 0.05, 0.02], [0.0, 0.0, 0.02, 0.08]]
)
COV_GG = np.array([[0.04, 0.03, -0.01], [0.03, 0.05, -0.01], [-0.01, -0.01, 0.06]])
FREQUENCY = np.array([0.0, 1.0, 3.0, 6.0, 2.0])
RECENCY = np.array([0.0, 10.0, 25.0, 30.0, 5.0])
AGE = np.array([20.0, 30.0, 32.0, 35.0, 38.0])
MONETARY = np.array([0.0, 20.0, 35.0, 18.0, 60.0])
MARGIN = np.array([0.3, 0.4, 0.25, 0.5, 0.2])


def fit_of(model: str, params: dict[str, float]) -> clv.Fit:
    return clv.Fit(model, params, 0.0, 5, True, 1, "")


def test_equity_interval_is_the_delta_method_on_the_sum_computed_directly() -> None:
    used = uncertainty.Spread(fit_of("bg_nbd", BG), COV_BG)
    spend = uncertainty.Spread(fit_of("gamma_gamma", GG), COV_GG)
    customers = uncertainty.Customers(FREQUENCY, RECENCY, AGE, MONETARY, MARGIN)
    values, equity = uncertainty.clv_intervals(used, spend, customers, 12, 4.0, 0.008)

    names = [*BG, *GG]
    theta = np.log([*BG.values(), *GG.values()])

    def total(log_params: np.ndarray) -> float:
        bg = dict(zip(BG, np.exp(log_params[:4]), strict=True))
        gg = dict(zip(GG, np.exp(log_params[4:]), strict=True))
        return float(
            clv.discounted_clv(
                bg, gg, FREQUENCY, RECENCY, AGE, MONETARY, MARGIN, 12, 4.0, 0.008
            ).sum()
        )

    h = 1e-5
    grad = np.array(
        [(total(theta + h * e) - total(theta - h * e)) / (2 * h) for e in np.eye(len(names))]
    )
    joint = np.zeros((7, 7))
    joint[:4, :4], joint[4:, 4:] = COV_BG, COV_GG
    sd = float(np.sqrt(grad @ joint @ grad))
    point = total(theta)
    assert equity.value[0] == pytest.approx(point, rel=1e-12)
    assert equity.low[0] == pytest.approx(point * np.exp(-Z90 * sd / point), rel=1e-6)
    assert equity.high[0] == pytest.approx(point * np.exp(Z90 * sd / point), rel=1e-6)
    # The customers' CLVs share the parameters, so equity's spread is not the customers'
    # variances added up.
    alone = ((np.log(values.high / values.value) / Z90 * values.value) ** 2).sum()
    assert sd**2 > 1.5 * alone


def test_a_parameter_at_the_search_bound_leaves_the_fit_without_standard_errors(
    cdnow: tuple[np.ndarray, ...],
) -> None:
    f, r, T, _m = cdnow
    fitted = clv.fit_bg_nbd(f, r, T)
    fit = dataclasses.replace(fitted, params={**fitted.params, "b": float(np.exp(30.0))})
    spread = uncertainty.purchase_spread(fit, f, r, T)
    assert spread.standard_errors() is None
    purchases = uncertainty.purchases_interval(spread, 52.0, f, r, T)
    assert np.isnan(purchases.low).all() and np.isfinite(purchases.value).all()


def dropping_out_at_one_rate(n: int, seed: int) -> tuple[np.ndarray, ...]:
    """BG/NBD customers who all drop out with the same p = 0.03 after each purchase."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(30, 104, n)
    rate = rng.gamma(1.5, 1 / 6.0, n)
    x, tx = np.zeros(n), np.zeros(n)
    for i in range(n):
        t = rng.exponential(1 / rate[i])
        while t <= T[i]:
            x[i], tx[i] = x[i] + 1, t
            if rng.uniform() < 0.03:
                break
            t += rng.exponential(1 / rate[i])
    return x, tx, T


def test_a_ridge_in_the_likelihood_leaves_parameters_loose_but_predictions_tight() -> None:
    """With one dropout rate for all, a and b can grow together: the data fix a/(a+b) and
    hardly anything else, and the predictions depend on little else."""
    x, tx, T = dropping_out_at_one_rate(1000, 3)
    fit = clv.fit_bg_nbd(x, tx, T)
    spread = uncertainty.purchase_spread(fit, x, tx, T)
    errors = spread.standard_errors()
    assert errors is not None
    assert errors["b"] > fit.params["b"] > 100  # b is not pinned down at all
    purchases = uncertainty.purchases_interval(spread, 52.0, x, tx, T)
    assert np.median(purchases.high / purchases.value) < 1.1


def quadratic(curvature: np.ndarray) -> uncertainty.LogLik:
    """A log-likelihood −½ θ′Aθ, its gradient −Aθ: the information is A exactly."""

    def loglik(theta: np.ndarray, _data: object) -> tuple[float, np.ndarray]:
        return float(-0.5 * theta @ curvature @ theta), -curvature @ theta

    return loglik


def test_the_covariance_is_the_inverse_information_on_the_directions_the_data_identify() -> None:
    rng = np.random.default_rng(5)
    basis = np.linalg.qr(rng.normal(size=(4, 4)))[0]
    full = basis @ np.diag([400.0, 90.0, 10.0, 2.0]) @ basis.T
    covariance, identified = uncertainty._covariance(
        uncertainty.by_gradient(quadratic(full), None), np.zeros(4)
    )
    assert identified and covariance is not None
    np.testing.assert_allclose(covariance, np.linalg.inv(full), rtol=1e-8)
    value = quadratic(full)
    by_value = uncertainty.by_value(lambda theta: value(theta, None)[0])
    np.testing.assert_allclose(
        uncertainty._covariance(by_value, np.zeros(4))[0], np.linalg.inv(full), rtol=1e-6
    )
    flat = basis @ np.diag([400.0, 90.0, 10.0, 0.0]) @ basis.T  # a ridge along basis[:, 3]
    covariance, identified = uncertainty._covariance(
        uncertainty.by_gradient(quadratic(flat), None), np.zeros(4)
    )
    assert not identified and covariance is not None
    np.testing.assert_allclose(covariance, np.linalg.pinv(flat), atol=1e-10)
    fit = clv.Fit("bg_nbd", BG, 0.0, 5, True, 1, "")
    assert uncertainty.Spread(fit, covariance, identified).standard_errors() is None
