"""pymc-marketing's side of bench/models.py; runs in its own venv, never the project's:

    python3 -m venv /work/pymcvenv && /work/pymcvenv/bin/pip install pymc-marketing pyarrow
    /work/pymcvenv/bin/python bench/models_pymc.py --out OUT.json --step summary|bg_nbd|… \
        --transactions T.parquet --donations D.parquet --as-of 2025-12-31 [--fraction 0.01]

One step a process (the driver stops a step past its limit without losing the others): the
summary (`clv.rfm_summary`) or one model's `fit(method="map")` on that summary, the model built
and compiled inside the clock as a user pays for it. Every prior is HalfFlat, so the MAP (pymc's
find_MAP maximises the log-density without the Jacobian of the log transform) is the
maximum-likelihood estimate, comparable with Tierwise and lifetimes. `--fraction` fits on the
customers whose id is a multiple of 1/fraction (the Pareto/NBD sample of the other libraries).
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path
from typing import Any

import harness

PARAMS = {
    "bg_nbd": ("BetaGeoModel", ("r", "alpha", "a", "b")),
    "gamma_gamma": ("GammaGammaModel", ("p", "q", "v")),
    "pareto_nbd": ("ParetoNBDModel", ("r", "alpha", "s", "beta")),
    "mbg_nbd": ("ModifiedBetaGeoModel", ("r", "alpha", "a", "b")),
    "bg_bb": ("BetaGeoBetaBinomModel", ("alpha", "beta", "gamma", "delta")),
}


def main() -> None:
    """Time one step and write its seconds and parameters (progress first, for the limit)."""
    parser = argparse.ArgumentParser()
    for name in ("--out", "--step", "--transactions", "--donations", "--as-of"):
        parser.add_argument(name, required=True)
    parser.add_argument("--fraction", type=float, default=1.0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import pymc
    import pymc_marketing
    from pymc_extras.prior import Prior
    from pymc_marketing import clv

    state: dict[str, Any] = {
        "version": pymc_marketing.__version__,
        "pymc": pymc.__version__,
        "fraction": args.fraction,
        "seconds": {},
    }
    out = Path(args.out)

    def frame_of(fraction: float) -> Any:
        table = pq.read_table(args.transactions)
        if fraction < 1:
            modulus = round(1 / fraction)
            table = table.filter(pc.equal(pc.remainder(table.column("customer_id"), modulus), 0))
        return table.set_column(
            1, "order_date", table.column("order_date").cast(pa.timestamp("ns"))
        ).to_pandas()

    def rfm(frame: Any) -> Any:
        return clv.rfm_summary(
            frame,
            "customer_id",
            "order_date",
            monetary_value_col="amount",
            observation_period_end=pd.Timestamp(args.as_of),
            time_unit="D",
        )

    if args.step == "bg_bb":
        donors = pq.read_table(args.donations).to_pandas().iloc[:: round(1 / args.fraction)]
        data = pd.DataFrame(
            {
                "customer_id": donors.index,
                "frequency": donors["frequency"],
                "recency": donors["recency"],
                "T": donors["periods"],
            }
        )
    elif args.step == "summary":
        data = frame_of(1.0)  # pymc-marketing starts from a pandas frame: not timed
    else:
        data = rfm(frame_of(args.fraction))
        if args.step == "gamma_gamma":
            data = data[data["frequency"] > 0][["customer_id", "monetary_value", "frequency"]]
        else:
            data = data[["customer_id", "frequency", "recency", "T"]]
    state["running"] = {"step": args.step, "since": time.time()}
    harness.write_json(out, state)
    started = time.perf_counter()
    if args.step == "summary":
        state["customers"] = len(rfm(data))
    else:
        model_class, names = PARAMS[args.step]
        try:
            model = getattr(clv, model_class)(
                model_config={name: Prior("HalfFlat") for name in names}
            )
            model.fit(data=data, method="map")
            posterior = model.idata.posterior
            state["params"] = {k: float(posterior[k].values.ravel()[0]) for k in names}
        except Exception as exc:
            state["error"] = f"{type(exc).__name__}: {exc}"[:1000]
        state["customers"] = len(data)
    state["seconds"][args.step] = time.perf_counter() - started
    state.pop("running")
    state["finished"] = True
    harness.write_json(out, state)


if __name__ == "__main__":
    main()
