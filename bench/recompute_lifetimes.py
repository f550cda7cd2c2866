"""lifetimes' side of bench/recompute.py: its summary and both fits on the same transactions.

Run as a step of its own (it can take many minutes at 1M customers: the driver stops it past
--step-limit and runs it on a 10% sample instead), writing its progress after every sub-step.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import harness
from recompute_steps import AS_OF, OUR_SUMMARY, TRANSACTIONS, our_summary_and_fits, sample_of


def step_lifetimes(fraction: float, ours_path: str) -> dict[str, Any]:
    """lifetimes, as its documentation uses it; progress is written after every step."""
    import warnings

    import lifetimes
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    warnings.simplefilter("ignore")
    table = sample_of(pq.read_table(TRANSACTIONS), fraction)
    frame = table.set_column(
        1, "order_date", table.column("order_date").cast(pa.timestamp("ns"))
    ).to_pandas()
    state: dict[str, Any] = {
        "version": lifetimes.__version__,
        "pandas": pd.__version__,
        "fraction": fraction,
        "transactions": len(frame),
        "seconds": {},
    }

    def begin(step: str) -> float:
        state["running"] = {"step": step, "since": time.time()}
        harness.progress(state)
        return time.perf_counter()

    def end(step: str, started: float) -> None:
        state["seconds"][step] = time.perf_counter() - started
        state.pop("running", None)
        harness.progress(state)

    started = begin("summary")
    summary = summary_data_from_transaction_data(
        frame,
        "customer_id",
        "order_date",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(AS_OF),
        freq="D",
    )
    end("summary", started)
    state["customers"] = len(summary)
    started = begin("bg_nbd")
    try:
        bg = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
        state["bg_nbd"] = {k: float(v) for k, v in bg.params_.items()}
        state["bg_nbd_mean_nll"] = float(bg._negative_log_likelihood_)
    except Exception as exc:  # lifetimes raises ConvergenceError on a failed fit
        state["bg_nbd_error"] = f"{type(exc).__name__}: {exc}".strip()
    end("bg_nbd", started)
    repeat = summary[summary["frequency"] > 0]
    started = begin("gamma_gamma")
    try:
        gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
        state["gamma_gamma"] = {k: float(v) for k, v in gg.params_.items()}
        state["gamma_gamma_mean_nll"] = float(gg._negative_log_likelihood_)
    except Exception as exc:
        state["gamma_gamma_error"] = f"{type(exc).__name__}: {exc}".strip()
    end("gamma_gamma", started)
    state["seconds"]["total"] = sum(state["seconds"].values())

    # Untimed checks: the summaries agree, and each parameter set's log-likelihood under
    # lifetimes' own functions (the better maximum has the higher one).
    ours = json.loads(Path(ours_path).read_text())["fits"] if ours_path else None
    if fraction >= 1 and OUR_SUMMARY.exists():
        mine = pq.read_table(OUR_SUMMARY).to_pandas().set_index("customer_id").sort_index()
        theirs = summary.sort_index()
        same_ids = bool((mine.index.to_numpy() == theirs.index.to_numpy()).all())
        state["summary_agreement"] = {
            "same_customers": same_ids and len(mine) == len(theirs),
            "max_abs_diff_frequency": float(
                np.max(np.abs(mine.btyd_frequency.to_numpy() - theirs.frequency.to_numpy()))
            ),
            "max_abs_diff_recency": float(
                np.max(np.abs(mine.btyd_recency.to_numpy() - theirs.recency.to_numpy()))
            ),
            "max_abs_diff_T": float(
                np.max(np.abs(mine.btyd_t.to_numpy() - theirs["T"].to_numpy()))
            ),
            "max_rel_diff_monetary": float(
                np.max(
                    np.abs(mine.btyd_monetary.to_numpy() - theirs.monetary_value.to_numpy())
                    / np.maximum(np.abs(theirs.monetary_value.to_numpy()), 1e-12)
                )
            ),
        }
    if ours and fraction < 1:
        ours = None  # our full-data fit is not comparable with a sample's
    if ours is None:
        from tierwise.analytics.params import AnalyticsParams

        ours = our_summary_and_fits(table, AnalyticsParams())["fits"]
        state["ours_on_same_sample"] = ours
    f = summary["frequency"].to_numpy(np.float64)
    r = summary["recency"].to_numpy(np.float64)
    t = summary["T"].to_numpy(np.float64)
    ones = np.ones_like(f)
    lls: dict[str, Any] = {}
    if "bg_nbd" in state:
        for who, params in (("lifetimes", state["bg_nbd"]), ("tierwise", ours["bg_nbd"]["params"])):
            logp = np.log([params[k] for k in ("r", "alpha", "a", "b")])
            lls[f"bg_nbd_{who}"] = -BetaGeoFitter._negative_log_likelihood(
                logp, f, r, t, ones, 0.0
            ) * len(f)
    if "gamma_gamma" in state:
        x = repeat["frequency"].to_numpy(np.float64)
        m = repeat["monetary_value"].to_numpy(np.float64)
        for who, params in (
            ("lifetimes", state["gamma_gamma"]),
            ("tierwise", ours["gamma_gamma"]["params"]),
        ):
            logp = np.log([params[k] for k in ("p", "q", "v")])
            lls[f"gamma_gamma_{who}"] = -GammaGammaFitter._negative_log_likelihood(
                logp, x, m, np.ones_like(x), 0.0
            ) * len(x)
    state["log_likelihood_by_lifetimes"] = {k: float(v) for k, v in lls.items()}
    state["compared_with"] = ours
    state["rss_mb"] = harness.rss_mb()
    state["finished"] = True
    return state


if __name__ == "__main__":
    harness.entry({"lifetimes": step_lifetimes, "lifetimes_sample": step_lifetimes})
