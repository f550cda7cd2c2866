"""pymc-marketing's side of bench/recompute.py; runs in its own venv, never the project's:

    python3 -m venv /tmp/pymc-venv && /tmp/pymc-venv/bin/pip install pymc-marketing pyarrow
    /tmp/pymc-venv/bin/python bench/recompute_pymc.py --out OUT.json \
        --transactions bench/data/recompute_transactions.parquet --as-of 2025-12-31 [--fraction 1]

Times `clv.rfm_summary`, then `BetaGeoModel(...).fit(method="map")` and
`GammaGammaModel(...).fit(method="map")`. Every prior is HalfFlat, so the MAP (pymc's find_MAP
maximises the log-density without the Jacobian of the log transform) is the maximum-likelihood
estimate and comparable with Tierwise and lifetimes. Writes its progress after every step, in the
same JSON shape as the other steps ("running", "seconds", "finished").
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import harness


def write(path: str, state: dict[str, Any]) -> None:
    """Publish the progress so far; the driver reads it to stop a sub-step past its limit."""
    harness.write_json(Path(path), state)


def main() -> None:
    """pymc-marketing's summary and MAP fits, with progress after every sub-step."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--transactions", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import pymc
    import pymc_marketing
    import pytensor
    from pymc_extras.prior import Prior
    from pymc_marketing.clv import BetaGeoModel, GammaGammaModel
    from pymc_marketing.clv.utils import rfm_summary

    table = pq.read_table(args.transactions)
    if args.fraction < 1:
        modulus = round(1 / args.fraction)
        table = table.filter(pc.equal(pc.remainder(table.column("customer_id"), modulus), 0))
    frame = table.set_column(
        1, "order_date", table.column("order_date").cast(pa.timestamp("ns"))
    ).to_pandas()
    state: dict[str, Any] = {
        "version": pymc_marketing.__version__,
        "pymc": pymc.__version__,
        "pytensor": pytensor.__version__,
        "fraction": args.fraction,
        "transactions": len(frame),
        "seconds": {},
    }

    def begin(step: str) -> float:
        state["running"] = {"step": step, "since": time.time()}
        write(args.out, state)
        return time.perf_counter()

    def end(step: str, started: float) -> None:
        state["seconds"][step] = time.perf_counter() - started
        state.pop("running", None)
        write(args.out, state)

    started = begin("summary")
    summary = rfm_summary(
        frame,
        "customer_id",
        "order_date",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(args.as_of),
        time_unit="D",
    )
    end("summary", started)
    state["customers"] = len(summary)
    flat = {name: Prior("HalfFlat") for name in ("r", "alpha", "a", "b")}
    started = begin("bg_nbd")
    try:
        bg = BetaGeoModel(model_config=flat)
        bg.fit(data=summary[["customer_id", "frequency", "recency", "T"]], method="map")
        posterior = bg.idata.posterior
        state["bg_nbd"] = {
            k: float(posterior[k].values.ravel()[0]) for k in ("r", "alpha", "a", "b")
        }
    except Exception as exc:
        state["bg_nbd_error"] = f"{type(exc).__name__}: {exc}"[:1000]
    end("bg_nbd", started)
    repeat = summary[summary["frequency"] > 0]
    started = begin("gamma_gamma")
    try:
        gg = GammaGammaModel(model_config={name: Prior("HalfFlat") for name in ("p", "q", "v")})
        gg.fit(data=repeat[["customer_id", "monetary_value", "frequency"]], method="map")
        posterior = gg.idata.posterior
        state["gamma_gamma"] = {k: float(posterior[k].values.ravel()[0]) for k in ("p", "q", "v")}
    except Exception as exc:
        state["gamma_gamma_error"] = f"{type(exc).__name__}: {exc}"[:1000]
    end("gamma_gamma", started)
    state["seconds"]["total"] = sum(state["seconds"].values())
    state["finished"] = True
    write(args.out, state)


if __name__ == "__main__":
    main()
