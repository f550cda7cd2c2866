"""What the tier step adds to a recompute, over 1,000,000 customers, next to the indicators.

    .venv/bin/python bench/tier_step.py [--customers 1000000] [--lines 10000000]
                                        [--db postgresql|sqlite] [--skip-load]

1. Generate and bulk-load the synthetic data of bench/recompute_data.py into a fresh database
   (PostgreSQL `tierwise_bench_analytics`, dropped and created again; or bench/data/…). Not timed.
2. Four recomputes, each `tierwise.analytics.service.recompute(..., steps=(TierStep(),))` in a
   process of its own, with its per-stage seconds and peak RSS:
   (a) baseline: no tier policy active, so the tier step does nothing — the cost of the indicators
       (extract, indicators, models, rules) and of storing the snapshot;
   (b) first evaluation under the default policy (docs/tiering.md): every customer is new, so every
       customer gets a history row with its evidence, an event and a state row — the worst case;
   (c) the same date again: nothing changes (idempotent), nothing is written but the snapshot;
   (d) a month later: the steady state, where only movers are written.
   The tier step = its own stage ("tiers": grading on DuckDB, dynamics in NumPy, reading the
   state) + what its writes add to the "store" stage over the baseline's.
3. Prints the table and writes bench/results/tiers.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import time
from typing import Any

import harness
from recompute_steps import AS_OF, database_url, step_load

INDICATOR_STAGES = ("extract", "indicators", "models", "rules")


def step_recompute(kind: str, day: str, policy: str) -> dict[str, Any]:
    """One recompute in this process; `policy` is none (deactivate all), default (a fresh first
    evaluation) or keep."""
    from sqlalchemy import text

    from tierwise.analytics.params import AnalyticsParams
    from tierwise.analytics.service import recompute
    from tierwise.bootstrap import bootstrap
    from tierwise.config import Settings
    from tierwise.tiering.policy import default_policy_text
    from tierwise.tiering.service import TierStep, apply_policy

    app = bootstrap(Settings(database_url=database_url(kind)))
    if policy in ("none", "default"):
        with app.engine.begin() as conn:
            for table in ("tier_events", "tier_history", "customer_tiers", "tier_evaluations"):
                conn.execute(text(f"DELETE FROM {table}"))
            conn.execute(text("UPDATE tier_policies SET active = false"))
    if policy == "default":
        with app.uow() as uow:
            apply_policy(uow, app.operator, default_policy_text(), "default", "bench")
            uow.commit()
    step = TierStep()
    started = time.perf_counter()
    with app.uow() as uow:
        result = recompute(
            uow, app.engine, dt.date.fromisoformat(day), AnalyticsParams(), steps=(step,)
        )
        uow.commit()
    wall = time.perf_counter() - started
    summary = step.summary()
    return {
        "wall_s": wall,
        "stages_s": result.seconds,
        "customers": result.customers,
        "peak_rss_mb": harness.rss_mb(),
        "changes": dict(summary["changes"]) if summary else {},
        "tiers": dict(summary["tiers"]) if summary else {},
    }


def tier_seconds(run: dict[str, Any], baseline: dict[str, Any]) -> float:
    """The tier stage plus what the tier writes add to storing the snapshot."""
    stages = run["stages_s"]
    extra_store = stages.get("store", 0.0) - baseline["stages_s"].get("store", 0.0)
    return stages.get("tiers", 0.0) + max(extra_store, 0.0)


def report(runs: dict[str, dict[str, Any]], args: argparse.Namespace, loaded: Any) -> str:
    """The results as Markdown."""
    base = runs["baseline"]
    indicators = sum(base["stages_s"].get(s, 0.0) for s in INDICATOR_STAGES)
    lines = [
        "# Tier step benchmark",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; database: {args.db}.",
        f"Data: {args.customers:,} customers, {args.lines:,} order lines "
        f"(bench/recompute_data.py){'' if loaded is None else f'; load: {loaded}'}.",
        f"Command: `.venv/bin/python bench/tier_step.py --customers {args.customers} "
        f"--lines {args.lines} --db {args.db}`",
        "",
        "| run | extract | indicators | models | rules | tiers | store | wall | tier step | "
        "tier step / indicators | peak RSS | changes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, run in runs.items():
        s = run["stages_s"]
        step = tier_seconds(run, base) if name != "baseline" else 0.0
        changes = ", ".join(f"{k} {v:,}" for k, v in sorted(run["changes"].items())) or "—"
        lines.append(
            f"| {name} | "
            + " | ".join(f"{s.get(k, 0.0):.1f}" for k in (*INDICATOR_STAGES, "tiers", "store"))
            + f" | {run['wall_s']:.1f} | {step:.1f} | {step / indicators:.1%} | "
            f"{run['peak_rss_mb']:,.0f} MB | {changes} |"
        )
    lines += [
        "",
        f"Indicators (extract + indicators + models + rules of the baseline): {indicators:.1f} s.",
        f"Tiers after the first evaluation: {runs['first']['tiers']}.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Load, run the four recomputes each in its own process, write bench/results/tiers.md."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    harness.DATA.mkdir(exist_ok=True)
    loaded = None
    if not args.skip_load:
        loaded = (
            f"generated in {step_load(args.db, args.customers, args.lines)['generate_s']:.0f} s"
        )
    later = AS_OF + dt.timedelta(days=31)
    plan = {
        "baseline": (AS_OF, "none"),
        "first": (AS_OF, "default"),
        "rerun": (AS_OF, "keep"),
        "next month": (later, "keep"),
    }
    runs = {}
    for name, (as_of, policy) in plan.items():
        harness.settle(database_url(args.db))
        outcome = harness.run_step(__file__, "recompute", args.db, as_of.isoformat(), policy)
        if outcome.stopped or outcome.result is None:
            raise SystemExit(f"{name}: {outcome.stopped}")
        runs[name] = outcome.result
        print(name, json.dumps(runs[name]["stages_s"]), flush=True)
    text = report(runs, args, loaded)
    harness.save_text("tiers.md", text)
    harness.log(f"load average {harness.load_average()}")
    print(text)


if __name__ == "__main__":
    harness.entry({"recompute": step_recompute}, main)
