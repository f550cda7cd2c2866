"""The steps of bench/models.py, each run in a process of its own by the harness.

The data (the recompute case's synthetic transactions, made without a database, and the donations
data scaled up for BG/BB), the GROUP BY floor, Tierwise's summary and fits, and lifetimes' summary
and fitters; pymc-marketing's side runs in its own venv (bench/models_pymc.py).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness

AS_OF = dt.date(2025, 12, 31)
MODELS = ("bg_nbd", "gamma_gamma", "pareto_nbd", "mbg_nbd", "bg_bb")
NAMES = {
    "bg_nbd": ("r", "alpha", "a", "b"),
    "gamma_gamma": ("p", "q", "v"),
    "pareto_nbd": ("r", "alpha", "s", "beta"),
    "mbg_nbd": ("r", "alpha", "a", "b"),
    "bg_bb": ("alpha", "beta", "gamma", "delta"),
}


def paths(customers: int) -> dict[str, Path]:
    """Where one size's inputs and Tierwise's summary are kept (bench/data/, git-ignored)."""
    stem = harness.DATA / f"models_{customers}"
    return {
        "transactions": Path(f"{stem}_transactions.parquet"),
        "donations": Path(f"{stem}_donations.parquet"),
        "summary": Path(f"{stem}_summary.parquet"),
    }


def step_data(customers: int, lines: int) -> dict[str, Any]:
    """Sale lines (customer, day, amount > 0) of the recompute case's data, and donors; untimed."""
    import duckdb
    import lifetimes.datasets
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    import recompute_data

    started = time.perf_counter()
    data = recompute_data.generate(customers, lines)
    orders, order_lines = data.orders, data.order_lines  # noqa: F841  (scanned by DuckDB)
    transactions = duckdb.sql(
        "SELECT o.customer_id, o.order_date, l.amount FROM order_lines l "
        "JOIN orders o ON o.id = l.order_id "
        "WHERE l.returns_order_id IS NULL AND l.amount > 0 ORDER BY l.id"
    ).to_arrow_table()
    where = paths(customers)
    pq.write_table(transactions, where["transactions"])
    donors = lifetimes.datasets.load_donations()
    copies = max(1, round(customers / float(donors["weights"].sum())))
    counts = donors["weights"].to_numpy() * copies
    pq.write_table(
        pa.table(
            {
                name: np.repeat(donors[name].to_numpy(np.float64), counts)
                for name in ("frequency", "recency", "periods")
            }
        ),
        where["donations"],
    )
    return {
        "generate_s": time.perf_counter() - started,
        "transactions": transactions.num_rows,
        "donors": int(counts.sum()),
        "donations_copies": copies,
    }


FLOOR_SQL = """
SELECT customer_id, count(*) AS n, sum(amount) AS total,
       min(order_date) AS first, max(order_date) AS last
FROM t GROUP BY customer_id
"""


def step_floor(customers: int, repeat: int) -> dict[str, Any]:
    """The floor: one plain GROUP BY in DuckDB over the Arrow rows (zero-copy scan)."""
    import duckdb
    import pyarrow.parquet as pq

    t = pq.read_table(paths(customers)["transactions"])  # noqa: F841  (found by name)
    con = duckdb.connect()
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        groups = con.sql(FLOOR_SQL).to_arrow_table().num_rows
        runs.append(time.perf_counter() - started)
    return {"runs_s": runs, "median_s": statistics.median(runs), "groups": groups}


def tierwise_summary(transactions: Any) -> tuple[Any, float, float]:
    """btyd_summary on DuckDB, loaded as the snapshot loads lines; (summary, seconds, of which
    loading the Arrow rows into DuckDB)."""
    import numpy as np
    import pyarrow as pa

    from tierwise.analytics.engines import connect, load
    from tierwise.analytics.indicators import btyd_summary
    from tierwise.analytics.params import AnalyticsParams

    lines = transactions.append_column("is_return", pa.array(np.zeros(transactions.num_rows, bool)))
    started = time.perf_counter()
    backend = connect("duckdb")
    table = load(backend, "lines", lines)
    loaded = time.perf_counter() - started
    summary = backend.to_pyarrow(
        btyd_summary(table, AS_OF, AnalyticsParams()).order_by("customer_id")
    )
    seconds = time.perf_counter() - started
    backend.disconnect()
    return summary, seconds, loaded


def rfm(summary: Any) -> tuple[Any, ...]:
    """(frequency, recency, T, monetary) of a Tierwise summary as float64 arrays."""
    return tuple(
        summary.column(f"btyd_{c}").to_numpy().astype("float64")
        for c in ("frequency", "recency", "t", "monetary")
    )


def tierwise_fitters() -> dict[str, Callable[..., Any]]:
    """Each model's fit, called on (f, r, T, m) or, for BG/BB, (x, t_x, n)."""
    from tierwise.analytics import bg_bb, clv, mbg_nbd, pareto_nbd

    return {
        "bg_nbd": lambda f, r, t, m: clv.fit_bg_nbd(f, r, t),
        "gamma_gamma": lambda f, r, t, m: clv.fit_gamma_gamma(f, m),
        "pareto_nbd": lambda f, r, t, m: pareto_nbd.fit(f, r, t),
        "mbg_nbd": lambda f, r, t, m: mbg_nbd.fit(f, r, t),
        "bg_bb": lambda x, tx, n: bg_bb.fit(x, tx, n),
    }


def sample_of(table: Any, fraction: float, column: str = "customer_id") -> Any:
    """The rows of a deterministic `fraction` of the customers (by id), or every k-th row."""
    import numpy as np
    import pyarrow.compute as pc

    if fraction >= 1:
        return table
    modulus = round(1 / fraction)
    if column in table.column_names:
        return table.filter(pc.equal(pc.remainder(table.column(column), modulus), 0))
    return table.take(np.arange(0, table.num_rows, modulus))


def step_tierwise(customers: int, repeat: int, pareto_fraction: float) -> dict[str, Any]:
    """Tierwise's summary and every fit, `repeat` times (medians); Pareto/NBD also on the sample."""
    import pyarrow.parquet as pq

    where = paths(customers)
    transactions = pq.read_table(where["transactions"])
    runs: dict[str, list[float]] = {step: [] for step in ("summary", "summary_load", *MODELS)}
    summary = None
    for _ in range(repeat):
        summary, seconds, loaded = tierwise_summary(transactions)
        runs["summary"].append(seconds)
        runs["summary_load"].append(loaded)
    assert summary is not None
    pq.write_table(summary, where["summary"])
    columns = rfm(summary)
    donors = pq.read_table(where["donations"])
    bb = tuple(donors.column(c).to_numpy() for c in ("frequency", "recency", "periods"))
    fits: dict[str, Any] = {}
    for name, fit in tierwise_fitters().items():
        for _ in range(repeat):
            started = time.perf_counter()
            result = fit(*(bb if name == "bg_bb" else columns))
            runs[name].append(time.perf_counter() - started)
        fits[name] = fit_dict(result)
    sample = rfm(tierwise_summary(sample_of(transactions, pareto_fraction))[0])
    started = time.perf_counter()
    fits["pareto_nbd_sample"] = fit_dict(tierwise_fitters()["pareto_nbd"](*sample))
    fits["pareto_nbd_sample"]["seconds"] = time.perf_counter() - started
    return {
        "runs_s": runs,
        "median_s": {step: statistics.median(v) for step, v in runs.items()},
        "fits": fits,
        "customers": summary.num_rows,
        "pareto_sample_customers": int(sample[0].size),
        "code": harness.code_state(["analytics"]),
        "rss_mb": harness.rss_mb(),
    }


def step_tierwise_sample(customers: int, fraction: float) -> dict[str, Any]:
    """Tierwise's fits on the sample the pymc-marketing fits use, for their parameters."""
    import pyarrow.parquet as pq

    where = paths(customers)
    columns = rfm(tierwise_summary(sample_of(pq.read_table(where["transactions"]), fraction))[0])
    donors = sample_of(pq.read_table(where["donations"]), fraction)
    bb = tuple(donors.column(c).to_numpy() for c in ("frequency", "recency", "periods"))
    fits = {}
    for name, fit in tierwise_fitters().items():
        fits[name] = fit_dict(fit(*(bb if name == "bg_bb" else columns)))
    return {"fits": fits, "customers": int(columns[0].size), "donors": int(bb[0].size)}


def fit_dict(fit: Any) -> dict[str, Any]:
    """A Tierwise fit as JSON."""
    return {
        "params": fit.params,
        "log_likelihood": fit.log_likelihood,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "n": fit.n,
    }


def step_lifetimes(customers: int, pareto_fraction: float) -> dict[str, Any]:
    """lifetimes as its documentation uses it, on pandas; progress after every sub-step."""
    import warnings

    import lifetimes
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from lifetimes import (
        BetaGeoBetaBinomFitter,
        BetaGeoFitter,
        GammaGammaFitter,
        ModifiedBetaGeoFitter,
        ParetoNBDFitter,
    )
    from lifetimes.utils import summary_data_from_transaction_data

    warnings.simplefilter("ignore")
    where = paths(customers)
    table = pq.read_table(where["transactions"])
    state: dict[str, Any] = {"version": lifetimes.__version__, "seconds": {}, "params": {}}

    def frame_of(t: Any) -> Any:
        return t.set_column(1, "order_date", t.column("order_date").cast(pa.timestamp("ns")))

    def timed(step: str, work: Callable[[], Any]) -> Any:
        state["running"] = {"step": step, "since": time.time()}
        harness.progress(state)
        started = time.perf_counter()
        try:
            result = work()
        except Exception as exc:  # lifetimes raises ConvergenceError on a failed fit
            state[f"{step}_error"] = f"{type(exc).__name__}: {exc}"[:500]
            result = None
        state["seconds"][step] = time.perf_counter() - started
        state.pop("running")
        if result is not None and hasattr(result, "params_"):
            state["params"][step] = {k: float(v) for k, v in result.params_.items()}
        harness.progress(state)
        return result

    def summarise(frame: Any) -> Any:
        return summary_data_from_transaction_data(
            frame,
            "customer_id",
            "order_date",
            monetary_value_col="amount",
            observation_period_end=pd.Timestamp(AS_OF),
            freq="D",
        )

    frame = frame_of(table).to_pandas()  # lifetimes starts from a pandas frame: not timed
    summary = timed("summary", lambda: summarise(frame))
    f, r, t = summary["frequency"], summary["recency"], summary["T"]
    repeat = summary[summary["frequency"] > 0]
    timed("bg_nbd", lambda: BetaGeoFitter().fit(f, r, t))
    timed(
        "gamma_gamma", lambda: GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    )
    timed("mbg_nbd", lambda: ModifiedBetaGeoFitter().fit(f, r, t))
    small = summarise(frame_of(sample_of(table, pareto_fraction)).to_pandas())
    state["pareto_sample_customers"] = len(small)
    timed(
        "pareto_nbd_sample",
        lambda: ParetoNBDFitter().fit(small["frequency"], small["recency"], small["T"]),
    )
    donors = pq.read_table(where["donations"]).to_pandas()
    timed(
        "bg_bb",
        lambda: BetaGeoBetaBinomFitter().fit(
            donors["frequency"], donors["recency"], donors["periods"]
        ),
    )
    state["customers"] = len(summary)
    state["summary_agreement"] = summary_agreement(where["summary"], summary)
    state["finished"] = True
    return state


def summary_agreement(ours_path: Path, theirs: Any) -> dict[str, Any]:
    """Tierwise's summary against lifetimes': the same customers and values (untimed)."""
    import numpy as np
    import pyarrow.parquet as pq

    mine = pq.read_table(ours_path).to_pandas().set_index("customer_id").sort_index()
    theirs = theirs.sort_index()
    same = len(mine) == len(theirs) and bool(
        (mine.index.to_numpy() == theirs.index.to_numpy()).all()
    )
    if not same:
        return {"same_customers": False}
    return {
        "same_customers": True,
        **{
            f"max_abs_diff_{name}": float(
                np.max(np.abs(mine[ours].to_numpy() - theirs[name].to_numpy()))
            )
            for ours, name in (
                ("btyd_frequency", "frequency"),
                ("btyd_recency", "recency"),
                ("btyd_t", "T"),
            )
        },
        "max_rel_diff_monetary": float(
            np.max(
                np.abs(mine.btyd_monetary.to_numpy() - theirs.monetary_value.to_numpy())
                / np.maximum(np.abs(theirs.monetary_value.to_numpy()), 1e-12)
            )
        ),
    }


STEPS = {
    "data": step_data,
    "floor": step_floor,
    "tierwise": step_tierwise,
    "tierwise_openblas1": step_tierwise,
    "tierwise_sample": step_tierwise_sample,
    "lifetimes": step_lifetimes,
}

if __name__ == "__main__":
    harness.entry(STEPS)
