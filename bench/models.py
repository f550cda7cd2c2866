"""Fit every purchase and spend model side by side in one run: Tierwise, lifetimes and
pymc-marketing on the same customers, and the summary beside a plain DuckDB GROUP BY floor.

    .venv/bin/python bench/models.py [--customers 1000000] [--lines 20000000] [--repeat 3]
        [--pareto-sample 0.01] [--pymc-sample 0.1] [--pymc-python /work/pymcvenv/bin/python]
        [--skip-data] [--skip-pymc] [--step-limit 900]

1. Data (untimed, bench/models_steps.py `data`): the recompute case's synthetic customers
   (bench/recompute_data.py, seeded), made in memory without a database; the sale lines with a
   positive amount (customer, order date, amount) are what every library gets. For BG/BB, the
   donations data of lifetimes (11,104 donors, 6 yearly opportunities) copied until it has about
   as many donors, one row a donor.
2. In one process each: the floor (`GROUP BY customer_id` with count, sum, min and max of the
   date); Tierwise (`btyd_summary` on DuckDB, then `clv.fit_bg_nbd`, `clv.fit_gamma_gamma`,
   `pareto_nbd.fit`, `mbg_nbd.fit`, `bg_bb.fit`; medians of --repeat); lifetimes
   (`summary_data_from_transaction_data`, BetaGeoFitter, GammaGammaFitter, ModifiedBetaGeoFitter,
   BetaGeoBetaBinomFitter; ParetoNBDFitter on the --pareto-sample of customers, its time scaled
   up by 1/sample); pymc-marketing in its own venv, one process a step (`rfm_summary`, then each
   model's MAP fit with flat priors on all customers, Pareto/NBD on lifetimes' sample; a fit
   past --pymc-limit seconds is stopped and run on the --pymc-sample, scaled up the same way).
3. The parameters of every fit against Tierwise's on the same rows (max relative difference), and
   bench/results/models.md and models.json.

The machine is shared (2 cores): compare only figures of the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import harness
from models_report import render
from models_steps import AS_OF, MODELS, paths

STEPS = harness.BENCH / "models_steps.py"
PYMC = harness.BENCH / "models_pymc.py"


def step(name: str, *args: Any, limit: float, env: dict[str, str] | None = None) -> dict[str, Any]:
    """A step in a fresh process after a wait for a quieter machine; its figures or its failure."""
    waited = harness.settle(max_wait=15)
    harness.log(f"{name} … (waited {waited:.0f} s, load {harness.load_average()})")
    outcome = harness.run_step(STEPS, name, *args, timeout=3 * limit, limit=limit, env=env)
    harness.log(f"{name} done" + (f" — {outcome.stopped[:300]}" if outcome.stopped else ""))
    return {**(outcome.result or {}), **({"stopped": outcome.stopped} if outcome.stopped else {})}


def pymc_step(
    python: str, name: str, customers: int, fraction: float, limit: float
) -> dict[str, Any]:
    """One pymc-marketing step in its own venv's interpreter."""
    harness.settle(max_wait=15)
    harness.log(f"pymc {name} … (load {harness.load_average()})")
    out = harness.DATA / f"models_pymc_{name}.json"
    where = paths(customers)
    command = [python, str(PYMC), "--out", str(out), "--step", name, "--as-of", AS_OF.isoformat()]
    command += [
        "--transactions",
        str(where["transactions"]),
        "--donations",
        str(where["donations"]),
    ]
    command += ["--fraction", str(fraction)]
    outcome = harness.run_command(command, out, f"pymc {name}", timeout=3 * limit, limit=limit)
    harness.log(f"pymc {name} done" + (f" — {outcome.stopped[:300]}" if outcome.stopped else ""))
    return {**(outcome.result or {}), **({"stopped": outcome.stopped} if outcome.stopped else {})}


def main() -> None:
    """Data, floor, Tierwise, lifetimes, pymc-marketing; then the report."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pareto-sample", type=float, default=0.01)
    parser.add_argument("--pymc-sample", type=float, default=0.1)
    parser.add_argument("--pymc-python", default="/work/pymcvenv/bin/python")
    parser.add_argument("--step-limit", type=float, default=900.0)
    parser.add_argument("--pymc-limit", type=float, default=240.0)
    parser.add_argument("--skip-data", action="store_true")
    parser.add_argument("--skip-pymc", action="store_true")
    parser.add_argument("--results", type=Path, default=harness.RESULTS / "models.md")
    args = parser.parse_args()
    limit = args.step_limit
    report: dict[str, Any] = {
        "command": " ".join(["$", ".venv/bin/python", "bench/models.py", *sys.argv[1:]]),
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "customers_generated": args.customers,
        "pareto_sample": args.pareto_sample,
        "pymc_sample": args.pymc_sample,
    }
    if not (args.skip_data and paths(args.customers)["transactions"].exists()):
        report["data"] = step("data", args.customers, args.lines, limit=limit)
    report["floor"] = step("floor", args.customers, args.repeat, limit=limit)
    report["tierwise"] = step(
        "tierwise", args.customers, args.repeat, args.pareto_sample, limit=limit
    )
    # The same again with OpenBLAS held to one thread: its idle threads spin beside the fits.
    report["tierwise_openblas1"] = step(
        "tierwise_openblas1",
        args.customers,
        args.repeat,
        args.pareto_sample,
        limit=limit,
        env={"OPENBLAS_NUM_THREADS": "1"},
    )
    report["lifetimes"] = step("lifetimes", args.customers, args.pareto_sample, limit=limit)
    if args.skip_pymc or not Path(args.pymc_python).exists():
        report["pymc"] = {"skipped": f"--skip-pymc or no {args.pymc_python}"}
    else:
        python, customers = args.pymc_python, args.customers
        pymc: dict[str, Any] = {"summary": pymc_step(python, "summary", customers, 1.0, limit)}
        for model in MODELS:
            whole = args.pareto_sample if model == "pareto_nbd" else 1.0
            pymc[model] = pymc_step(python, model, customers, whole, args.pymc_limit)
            if pymc[model].get("stopped"):
                pymc[model] = {
                    **pymc_step(python, model, customers, args.pymc_sample, args.pymc_limit),
                    "whole_stopped": pymc[model]["stopped"],
                }
        if any(pymc[m].get("fraction") == args.pymc_sample for m in MODELS):
            pymc["tierwise_on_sample"] = step(
                "tierwise_sample", customers, args.pymc_sample, limit=limit
            )
        report["pymc"] = pymc
    harness.write_json(args.results.with_suffix(".json"), report)
    text = render(report)
    print(text)
    args.results.write_text(text + "\n")
    print(json.dumps({"written": str(args.results)}))


if __name__ == "__main__":
    harness.entry({}, main)
