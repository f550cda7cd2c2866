"""The steps of bench/recompute.py, each run in a process of its own by the harness.

Loading the synthetic data, the measured recompute, the transactions every comparison uses, the
GROUP BY floor and Tierwise's own summary and fits; lifetimes' side is bench/recompute_lifetimes.py.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time
from typing import Any

import harness

PG_URL = harness.pg_url("tierwise_bench_analytics")
SQLITE_PATH = harness.DATA / "recompute_tierwise.db"
TRANSACTIONS = harness.DATA / "recompute_transactions.parquet"
LINES = harness.DATA / "recompute_lines.parquet"
OUR_SUMMARY = harness.DATA / "recompute_tierwise_summary.parquet"
AS_OF = dt.date(2025, 12, 31)


def database_url(kind: str) -> str:
    """Where the recompute benchmarks keep their data: PostgreSQL or a SQLite file."""
    return PG_URL if kind == "postgresql" else harness.sqlite_url(SQLITE_PATH)


def step_load(kind: str, customers: int, lines: int) -> dict[str, Any]:
    """Generate and bulk-load into a fresh database; not part of any timing."""
    import recompute_data
    import recompute_load

    started = time.perf_counter()
    data = recompute_data.generate(customers, lines)
    generated = time.perf_counter() - started
    url = harness.fresh_database(database_url(kind))
    if kind == "postgresql":
        seconds = recompute_load.load_postgres(harness.libpq(url), data)
    else:
        seconds = recompute_load.load_sqlite(str(SQLITE_PATH), data)
    return {
        "generate_s": generated,
        "load_s": seconds,
        **{name: getattr(data, name).num_rows for name in recompute_data.TABLES},
        "return_lines": data.order_lines.num_rows
        - data.order_lines.column("returns_order_id").null_count,
        "rss_mb": harness.rss_mb(),
    }


def step_recompute(kind: str) -> dict[str, Any]:
    """The measured run: recompute() as the CLI calls it, in a process of its own."""
    import threading

    started = time.perf_counter()
    from tierwise.analytics.params import AnalyticsParams
    from tierwise.analytics.service import recompute
    from tierwise.bootstrap import bootstrap
    from tierwise.config import Settings

    app = bootstrap(Settings(database_url=database_url(kind)))
    imported = time.perf_counter() - started
    # Sample the resident set every 50 ms to see which stage reaches the peak.
    stage_peak: dict[str, float] = {}
    current = ["extract"]
    done = threading.Event()

    def sample() -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not done.is_set():
            with open("/proc/self/statm") as f:
                rss = int(f.read().split()[1]) * page / 2**20
            stage_peak[current[0]] = max(stage_peak.get(current[0], 0.0), rss)
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    before = harness.rss_mb()
    sampler.start()
    started = time.perf_counter()
    with app.uow() as uow:
        result = recompute(
            uow,
            app.engine,
            AS_OF,
            AnalyticsParams(),
            stage=lambda name: current.__setitem__(0, name),
        )
        uow.commit()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    return {
        "wall_s": wall,
        "stages_s": result.seconds,
        "customers": result.customers,
        "import_s": imported,
        "rss_before_mb": before,
        "peak_rss_mb": harness.rss_mb(),
        "peak_rss_by_stage_mb": stage_peak,
        "buyers": result.headline.get("buyers"),
        "customer_equity": result.headline.get("customer_equity"),
    }


def step_transactions(kind: str) -> dict[str, Any]:
    """Extract again and keep the rows the BTYD summary uses, for every comparison."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from tierwise.analytics.extract import extract
    from tierwise.db.session import make_engine

    started = time.perf_counter()
    facts = extract(make_engine(database_url(kind)), AS_OF)
    extract_s = time.perf_counter() - started
    lines = facts.lines
    sale = pc.and_(pc.invert(lines.column("is_return")), pc.greater(lines.column("amount"), 0))
    transactions = lines.filter(sale).select(["customer_id", "order_date", "amount"])
    pq.write_table(lines, LINES)
    pq.write_table(transactions, TRANSACTIONS)
    return {
        "extract_s": extract_s,
        "lines": lines.num_rows,
        "transactions": transactions.num_rows,
        "customers_with_transactions": pc.count_distinct(
            transactions.column("customer_id")
        ).as_py(),
        "rss_mb": harness.rss_mb(),
    }


FLOOR_SQL = """
SELECT customer_id, count(*) AS n, sum(amount) AS total,
       min(order_date) AS first, max(order_date) AS last
FROM t GROUP BY customer_id
"""


def step_floor(repeat: int) -> dict[str, Any]:
    """The floor: one plain GROUP BY in DuckDB over the Arrow rows (zero-copy scan)."""
    import duckdb
    import pyarrow.parquet as pq

    result: dict[str, Any] = {"duckdb": duckdb.__version__}
    for name, path in (("transactions", TRANSACTIONS), ("all_lines", LINES)):
        t = pq.read_table(path)  # noqa: F841  (DuckDB's replacement scan finds it by name)
        con = duckdb.connect()
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            table = con.sql(FLOOR_SQL).to_arrow_table()
            runs.append(time.perf_counter() - started)
        result[name] = {
            "runs_s": runs,
            "median_s": statistics.median(runs),
            "groups": table.num_rows,
        }
        con.close()
    result["rss_mb"] = harness.rss_mb()
    return result


def our_summary_and_fits(transactions: Any, params: Any) -> dict[str, Any]:
    """btyd_summary on DuckDB (loaded as the snapshot loads lines), then both fits."""
    import numpy as np
    import pyarrow as pa

    from tierwise.analytics import clv
    from tierwise.analytics.engines import connect, load
    from tierwise.analytics.indicators import btyd_summary

    lines = transactions.append_column("is_return", pa.array(np.zeros(transactions.num_rows, bool)))
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    backend = connect("duckdb")
    table = load(backend, "lines", lines)
    summary = backend.to_pyarrow(btyd_summary(table, AS_OF, params).order_by("customer_id"))
    seconds["summary"] = time.perf_counter() - started

    def column(name: str) -> np.ndarray:
        return summary.column(name).to_numpy().astype(np.float64)

    f, r, t, m = (column(f"btyd_{c}") for c in ("frequency", "recency", "t", "monetary"))
    started = time.perf_counter()
    bg = clv.fit_bg_nbd(f, r, t)
    seconds["bg_nbd"] = time.perf_counter() - started
    started = time.perf_counter()
    gg = clv.fit_gamma_gamma(f, m)
    seconds["gamma_gamma"] = time.perf_counter() - started
    seconds["total"] = seconds["summary"] + seconds["bg_nbd"] + seconds["gamma_gamma"]
    backend.disconnect()
    return {
        "seconds": seconds,
        "summary": summary,
        "fits": {fit.model: _fit_dict(fit) for fit in (bg, gg)},
    }


def _fit_dict(fit: Any) -> dict[str, Any]:
    """A fit as JSON, so the lifetimes step can compare against it."""
    return {
        "params": fit.params,
        "log_likelihood": fit.log_likelihood,
        "n": fit.n,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "message": fit.message,
    }


def sample_of(table: Any, fraction: float) -> Any:
    """The transactions of a deterministic `fraction` of the customers (by id)."""
    import pyarrow.compute as pc

    if fraction >= 1:
        return table
    modulus = round(1 / fraction)
    return table.filter(pc.equal(pc.remainder(table.column("customer_id"), modulus), 0))


def step_tierwise(repeat: int, fraction: float) -> dict[str, Any]:
    """Tierwise's summary + fits, `repeat` times; the median of each step is reported."""
    import pyarrow.parquet as pq

    from tierwise.analytics.params import AnalyticsParams

    transactions = sample_of(pq.read_table(TRANSACTIONS), fraction)
    runs = [our_summary_and_fits(transactions, AnalyticsParams()) for _ in range(repeat)]
    if fraction >= 1:
        pq.write_table(runs[-1]["summary"], OUR_SUMMARY)
    steps = runs[0]["seconds"].keys()
    return {
        "runs_s": [run["seconds"] for run in runs],
        "median_s": {k: statistics.median(run["seconds"][k] for run in runs) for k in steps},
        "fits": runs[-1]["fits"],
        "customers": runs[-1]["summary"].num_rows,
        "transactions": transactions.num_rows,
        "fraction": fraction,
        "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "rss_mb": harness.rss_mb(),
    }


STEPS = {
    "load": step_load,
    "recompute": step_recompute,
    "transactions": step_transactions,
    "floor": step_floor,
    "tierwise": step_tierwise,
    "tierwise_openblas1": step_tierwise,
}

if __name__ == "__main__":
    harness.entry(STEPS)
