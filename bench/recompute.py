"""Time the analytics recompute end to end and per stage, and compare its buy-till-you-die summary
and model fits with `lifetimes` and `pymc-marketing`, and the snapshot with a plain GROUP BY floor.

    .venv/bin/python bench/recompute.py [--customers 1000000] [--lines 20000000]
                                        [--db postgresql|sqlite] [--step-limit 1500]
                                        [--skip-load] [--skip-pymc] [--pymc-python PATH]

1. Generate the data (NumPy, seeded; bench/recompute_data.py) and bulk-load it into a fresh,
   migrated database: PostgreSQL `tierwise_bench_analytics` (DROPPED and created again) via COPY,
   or SQLite bench/data/recompute_tierwise.db. Not timed. `--skip-load` reuses what is there.
2. `tierwise.analytics.service.recompute(uow, engine, as_of, AnalyticsParams())` in a fresh
   process: its own per-stage seconds (extract, indicators, models, rules, store), the wall time of
   the call and the process's peak RSS (ru_maxrss; the database server's memory is not included).
3. The transactions of `extract(url, as_of).lines` that the BTYD summary uses (sale lines with a
   positive amount) are saved to bench/data/recompute_transactions.parquet; then, each in its own
   process, on exactly those rows:
   (a) floor: one plain DuckDB `GROUP BY customer_id` (count, sum, min and max of the date);
   (b) Tierwise: `indicators.btyd_summary` on DuckDB + `clv.fit_bg_nbd` + `clv.fit_gamma_gamma`
       (run with the environment as given and again with OPENBLAS_NUM_THREADS=1);
   (c) `lifetimes`: `summary_data_from_transaction_data` + `BetaGeoFitter().fit` +
       `GammaGammaFitter().fit` on a pandas frame, timed per step;
   (d) `pymc-marketing` (in its own venv, default /tmp/pymc-venv: never the project's):
       `rfm_summary` + `BetaGeoModel` and `GammaGammaModel` `fit(method="map")` with flat priors,
       so that the MAP is the maximum-likelihood estimate and comparable.
   A step that runs longer than --step-limit seconds (default 25 min) is stopped; that library is
   then run on a 10% sample of the customers and its times multiplied by 10, marked as such.
4. Prints the table, and writes bench/results/recompute.md (keeping any text below the line
   `<!-- notes -->`) and bench/results/recompute.json.

Fast steps (floor, Tierwise summary + fits) are repeated (--repeat, default 5) and the median is
reported; lifetimes and pymc-marketing run once. Before every timed step the driver CHECKPOINTs
PostgreSQL and waits until no autovacuum worker runs and the CPUs are 90% idle for 3 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import harness
from recompute_report import render
from recompute_steps import AS_OF, PG_URL, TRANSACTIONS, database_url

STEPS = harness.BENCH / "recompute_steps.py"
LIFETIMES = harness.BENCH / "recompute_lifetimes.py"
NOTES_MARK = "<!-- notes -->"
WAITED: dict[str, float] = {}


def run_step(
    name: str, *args: Any, limit: float | None = None, url: str | None = None, **kwargs: Any
) -> tuple[dict[str, Any] | None, str]:
    """A step in a fresh process after a wait for a quiet machine; (its figures, why it stopped)."""
    if name != "load":
        WAITED[name] = harness.settle(url)
    harness.log(f"{name} …")
    script = LIFETIMES if name.startswith("lifetimes") else STEPS
    timeout = None if limit is None else 3 * limit
    outcome = harness.run_step(script, name, *args, timeout=timeout, limit=limit, **kwargs)
    harness.log(f"{name} done" + (f" — {outcome.stopped[:200]}" if outcome.stopped else ""))
    return outcome.result, outcome.stopped


def run_pymc(
    name: str, python: str, fraction: float, limit: float
) -> tuple[dict[str, Any] | None, str]:
    """pymc-marketing's step, in its own venv's interpreter."""
    WAITED[name] = harness.settle()
    out = harness.step_file(harness.BENCH / "recompute_pymc.py", name)
    command = [python, str(harness.BENCH / "recompute_pymc.py"), "--out", str(out)]
    command += ["--transactions", str(TRANSACTIONS), "--as-of", AS_OF.isoformat()]
    command += ["--fraction", str(fraction)]
    harness.log(f"{name} …")
    outcome = harness.run_command(command, out, name, timeout=3 * limit, limit=limit)
    harness.log(f"{name} done" + (f" — {outcome.stopped[:200]}" if outcome.stopped else ""))
    return outcome.result, outcome.stopped


def machine_facts(pymc_python: str | None) -> dict[str, Any]:
    """The versions and settings that move these figures, written into the report."""
    import duckdb
    import numpy as np

    facts: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "duckdb": duckdb.__version__,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
    }
    for module in (
        "ibis",
        "pyarrow",
        "scipy",
        "pandas",
        "lifetimes",
        "sqlalchemy",
        "adbc_driver_postgresql",
    ):
        try:
            facts[module] = __import__(module).__version__
        except Exception:
            facts[module] = None
    try:
        import psycopg

        with psycopg.connect(harness.libpq(PG_URL, "postgres")) as conn:
            facts["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            for setting in ("shared_buffers", "work_mem"):
                facts[f"pg_{setting}"] = conn.execute(f"SHOW {setting}").fetchone()[0]
    except Exception as exc:
        facts["postgresql"] = f"unavailable: {exc}"
    if pymc_python and Path(pymc_python).exists():
        probe = subprocess.run(
            [
                pymc_python,
                "-c",
                "import pymc_marketing, pymc, pytensor; "
                "print(pymc_marketing.__version__, pymc.__version__, pytensor.__version__)",
            ],
            capture_output=True,
            text=True,
        )
        facts["pymc_marketing"] = probe.stdout.strip() or probe.stderr.strip()[-300:]
    return facts


def _cpu_model() -> str:
    """The CPU's name, so runs on different machines are not compared unawares."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def scaled(state: dict[str, Any] | None, factor: float) -> dict[str, float]:
    """A sample's step times, scaled up to the whole."""
    return {k: v * factor for k, v in (state or {}).get("seconds", {}).items()}


Runner = Callable[[str, float], tuple[dict[str, Any] | None, str]]


def run_library(run: Runner, name: str) -> dict[str, Any]:
    """Run a reference library on all transactions; past the limit, on 10% of the customers."""
    state, reason = run(name, 1.0)
    result: dict[str, Any] = {"full": state, "stopped": reason}
    if reason or not (state and state.get("finished")):
        sample, sample_reason = run(f"{name}_sample", 0.1)
        result["sample"] = sample
        result["sample_stopped"] = sample_reason
        done = (state or {}).get("seconds", {})
        extrapolated = scaled(sample, 10)
        seconds = {}
        for step in ("summary", "bg_nbd", "gamma_gamma"):
            if step in done:
                seconds[step] = done[step]
            elif step in extrapolated:
                seconds[step] = extrapolated[step]
                result.setdefault("extrapolated", []).append(step)
        seconds["total"] = sum(seconds.values())
        result["seconds"] = seconds
    else:
        result["seconds"] = state["seconds"]
    return result


def main() -> None:
    """Load, recompute, then the side-by-side steps; write recompute.md and recompute.json."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=20_000_000)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--step-limit", type=float, default=1500.0)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument(
        "--skip-recompute", action="store_true", help="reuse the last run's figures"
    )
    parser.add_argument(
        "--skip-lifetimes", action="store_true", help="reuse the last run's figures"
    )
    parser.add_argument("--skip-pymc", action="store_true")
    parser.add_argument("--pymc-python", default="/tmp/pymc-venv/bin/python")
    parser.add_argument("--results", type=Path, default=harness.RESULTS / "recompute.md")
    args = parser.parse_args()
    harness.DATA.mkdir(exist_ok=True)
    harness.RESULTS.mkdir(exist_ok=True)
    url = database_url(args.db)
    previous = harness.read_json(args.results.with_suffix(".json")) or {}
    command = (
        "OPENBLAS_CORETYPE= OPENBLAS_L2_SIZE= " if os.environ.get("OPENBLAS_CORETYPE") == "" else ""
    )
    command += " ".join(["$", ".venv/bin/python", "bench/recompute.py", *sys.argv[1:]])
    report: dict[str, Any] = {
        "command": command,
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": AS_OF.isoformat(),
        "machine": machine_facts(args.pymc_python),
    }
    print(json.dumps(report["machine"]), flush=True)
    if not args.skip_load:
        report["load"], reason = run_step("load", args.db, args.customers, args.lines)
        if reason:
            raise SystemExit(f"loading failed: {reason}")
    else:
        report["load"] = previous.get("load")
    if args.skip_recompute and previous.get("recompute"):
        report["recompute"] = previous["recompute"]
    else:
        report["recompute"], reason = run_step("recompute", args.db, url=url)
        if reason:
            raise SystemExit(f"recompute failed: {reason}")
    report["transactions"], reason = run_step("transactions", args.db, url=url)
    if reason:
        raise SystemExit(f"extracting the transactions failed: {reason}")
    report["floor"], _ = run_step("floor", args.repeat)
    report["tierwise"], reason = run_step("tierwise", args.repeat, 1.0)
    if reason:
        raise SystemExit(f"Tierwise's summary + fits failed: {reason}")
    report["tierwise_openblas1"], _ = run_step(
        "tierwise_openblas1", args.repeat, 1.0, env={"OPENBLAS_NUM_THREADS": "1"}
    )
    ours = str(harness.step_file(STEPS, "tierwise"))
    if args.skip_lifetimes and previous.get("lifetimes"):
        report["lifetimes"] = previous["lifetimes"]
    else:
        report["lifetimes"] = run_library(
            lambda name, fraction: run_step(name, fraction, ours, limit=args.step_limit),
            "lifetimes",
        )
    if args.skip_pymc:
        report["pymc"] = previous.get("pymc") or {"skipped": "--skip-pymc"}
    elif not Path(args.pymc_python).exists():
        report["pymc"] = {
            "skipped": f"{args.pymc_python} not found: pip install pymc-marketing "
            "into its own venv (see the docstring)"
        }
    else:
        report["pymc"] = run_library(
            lambda name, fraction: run_pymc(name, args.pymc_python, fraction, args.step_limit),
            "pymc",
        )
    report["settle_waited_s"] = WAITED
    harness.write_json(args.results.with_suffix(".json"), report)
    text = render(report)
    print(text)
    notes = ""
    if args.results.exists():
        old = args.results.read_text()
        if NOTES_MARK in old:
            notes = old[old.index(NOTES_MARK) :]
    args.results.write_text(text + "\n" + (notes or NOTES_MARK + "\n"))


if __name__ == "__main__":
    main()
