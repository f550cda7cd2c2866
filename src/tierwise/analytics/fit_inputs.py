"""The checked input of every purchase and spend model: numbers that are finite and in range,
with the position of the first bad one named, and the compressed, rescaled rows a fit runs on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from tierwise.analytics import btyd


@dataclass(frozen=True)
class ScaledRfm:
    """Distinct (x, t_x, T) rows and their weights, time rescaled so the oldest customer has
    T = 1: what every purchase model is fitted on."""

    x: np.ndarray
    tx: np.ndarray
    age: np.ndarray
    w: np.ndarray
    scale: float

    @property
    def total(self) -> float:
        """Customers in the fit."""
        return float(self.w.sum())

    @property
    def start(self) -> np.ndarray:
        """log of (1, 1/rate, 1, 1): r/alpha starts at the repeat purchases per unit of time."""
        rate = float(np.sum(self.w * self.x) / np.sum(self.w * self.age))
        return np.log([1.0, 1.0 / max(rate, 1e-6), 1.0, 1.0])

    def loglik(self, scaled: float) -> float:
        """The log-likelihood in the caller's time units: each purchase density gains 1/scale."""
        return scaled - float(np.sum(self.w * self.x)) * np.log(self.scale)


def scaled_rfm(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, weights: ArrayLike | None, model: str
) -> ScaledRfm:
    """The validated, compressed and rescaled input of a purchase model's fit."""
    x, tx, age = (v.ravel() for v in _rfm(frequency, recency, T))
    w = _weights(weights, x.size)
    keep = w > 0
    x, tx, age, w = x[keep], tx[keep], age[keep], w[keep]
    if x.size == 0:
        raise ValueError(f"no customers to fit the {model} model on (empty input or all weights 0)")
    scale = float(age.max())
    if scale == 0:
        raise ValueError(
            f"every customer has T = 0: there is no history to fit the {model} model on"
        )
    (uage, utx, ux), uw, _ = btyd.compress([age, tx, x], w)
    return ScaledRfm(ux, utx / scale, uage / scale, uw, scale)


def _column(name: str, values: ArrayLike) -> np.ndarray:
    """A float64 array of finite values >= 0, or a ValueError naming the first bad one."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from None
    if not np.isfinite(array).all():
        raise _position_error(name, array, ~np.isfinite(array), "must be finite")
    if (array < 0).any():
        raise _position_error(name, array, array < 0, "must be >= 0")
    return array


def _rfm(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> tuple[np.ndarray, ...]:
    """Validated, broadcast (frequency, recency, T)."""
    x = _frequency(frequency)
    tx = _column("recency", recency)
    age = _column("T", T)
    try:
        x, tx, age = np.broadcast_arrays(x, tx, age)
    except ValueError:
        raise ValueError(
            f"frequency, recency and T must have the same length; got shapes "
            f"{x.shape}, {tx.shape}, {age.shape}"
        ) from None
    if (tx > age).any():
        raise _position_error("recency", tx, tx > age, "must be <= T (the customer's age)")
    if ((x == 0) & (tx != 0)).any():
        raise _position_error("recency", tx, (x == 0) & (tx != 0), "must be 0 where frequency is 0")
    return x, tx, age


def _frequency(frequency: ArrayLike) -> np.ndarray:
    x = _column("frequency", frequency)
    if (x != np.round(x)).any():
        raise _position_error("frequency", x, x != np.round(x), "must be a whole number")
    return x


def _frequency_monetary(frequency: ArrayLike, monetary: ArrayLike) -> tuple[np.ndarray, ...]:
    """Validated, broadcast (frequency, monetary); monetary is checked where frequency > 0."""
    x = _frequency(frequency)
    try:
        m = np.asarray(monetary, dtype=np.float64)
        x, m = np.broadcast_arrays(x, m)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"monetary must be numeric and match frequency: {exc}") from None
    used = x > 0
    if not np.isfinite(m[used]).all():
        raise _position_error("monetary", m, used & ~np.isfinite(m), "must be finite")
    if (m[used] < 0).any():
        raise _position_error("monetary", m, used & (m < 0), "must be >= 0")
    return x, m


def _weights(weights: ArrayLike | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = _column("weights", weights).ravel()
    if w.size != n:
        raise ValueError(f"weights must have one value per customer ({n}), got {w.size}")
    return w


def _position_error(name: str, array: np.ndarray, bad: np.ndarray, expected: str) -> ValueError:
    """'recency must be <= T; customer at position 17 has 40.0'."""
    position = int(np.flatnonzero(np.broadcast_to(bad, array.shape).ravel())[0])
    value = float(array.ravel()[position])
    return ValueError(f"{name} {expected}; the customer at position {position} has {value!r}")
