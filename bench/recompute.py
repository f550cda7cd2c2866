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
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"
PG_DATABASE = "tierwise_bench_analytics"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DATABASE}"
SQLITE_PATH = DATA / "recompute_tierwise.db"
TRANSACTIONS = DATA / "recompute_transactions.parquet"
LINES = DATA / "recompute_lines.parquet"
OUR_SUMMARY = DATA / "recompute_tierwise_summary.parquet"
AS_OF = dt.date(2025, 12, 31)
NOTES_MARK = "<!-- notes -->"

sys.path.insert(0, str(BENCH))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _write_json(path: str | Path, payload: dict[str, Any]) -> None:
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(payload, indent=1, default=str))
    tmp.replace(path)


def _libpq(url: str, database: str | None = None) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(False)


def database_url(kind: str) -> str:
    return PG_URL if kind == "postgresql" else f"sqlite:///{SQLITE_PATH}"


# ---------------------------------------------------------------------------------------------
# Steps: each runs in a fresh process (`recompute.py _step NAME OUT.json ...`)


def step_load(out: str, kind: str, customers: int, lines: int) -> None:
    """Generate and bulk-load; not part of any timing."""
    import recompute_data
    from tierwise.db import migrate

    started = time.perf_counter()
    data = recompute_data.generate(customers, lines)
    generated = time.perf_counter() - started
    url = database_url(kind)
    if kind == "postgresql":
        import psycopg
        from psycopg import sql

        assert PG_DATABASE.startswith("tierwise_bench_") and PG_DATABASE != "tierwise_bench"
        with psycopg.connect(_libpq(url, "postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(PG_DATABASE)
                )
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(PG_DATABASE)))
        migrate.upgrade(url)
        seconds = recompute_data.load_postgres(_libpq(url), data)
    else:
        DATA.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)
        migrate.upgrade(url)
        seconds = recompute_data.load_sqlite(str(SQLITE_PATH), data)
    _write_json(
        out,
        {
            "generate_s": generated,
            "load_s": seconds,
            **{name: getattr(data, name).num_rows for name in recompute_data.TABLES},
            "return_lines": data.order_lines.num_rows
            - data.order_lines.column("returns_order_id").null_count,
            "rss_mb": _rss_mb(),
        },
    )


def step_recompute(out: str, kind: str) -> None:
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
    before = _rss_mb()
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
    _write_json(
        out,
        {
            "wall_s": wall,
            "stages_s": result.seconds,
            "customers": result.customers,
            "import_s": imported,
            "rss_before_mb": before,
            "peak_rss_mb": _rss_mb(),
            "peak_rss_by_stage_mb": stage_peak,
            "buyers": result.headline.get("buyers"),
            "customer_equity": result.headline.get("customer_equity"),
        },
    )


def step_transactions(out: str, kind: str) -> None:
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
    _write_json(
        out,
        {
            "extract_s": extract_s,
            "lines": lines.num_rows,
            "transactions": transactions.num_rows,
            "customers_with_transactions": pc.count_distinct(
                transactions.column("customer_id")
            ).as_py(),
            "rss_mb": _rss_mb(),
        },
    )


FLOOR_SQL = """
SELECT customer_id, count(*) AS n, sum(amount) AS total,
       min(order_date) AS first, max(order_date) AS last
FROM t GROUP BY customer_id
"""


def step_floor(out: str, repeat: int) -> None:
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
    result["rss_mb"] = _rss_mb()
    _write_json(out, result)


def _our_summary_and_fits(transactions: Any, params: Any) -> dict[str, Any]:
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
    return {
        "params": fit.params,
        "log_likelihood": fit.log_likelihood,
        "n": fit.n,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "message": fit.message,
    }


def _sample(table: Any, fraction: float) -> Any:
    """The transactions of a deterministic `fraction` of the customers (by id)."""
    import pyarrow.compute as pc

    if fraction >= 1:
        return table
    modulus = round(1 / fraction)
    return table.filter(pc.equal(pc.remainder(table.column("customer_id"), modulus), 0))


def step_tierwise(out: str, repeat: int, fraction: float) -> None:
    """Tierwise's summary + fits, `repeat` times; the median of each step is reported."""
    import pyarrow.parquet as pq

    from tierwise.analytics.params import AnalyticsParams

    transactions = _sample(pq.read_table(TRANSACTIONS), fraction)
    runs = [_our_summary_and_fits(transactions, AnalyticsParams()) for _ in range(repeat)]
    if fraction >= 1:
        pq.write_table(runs[-1]["summary"], OUR_SUMMARY)
    steps = runs[0]["seconds"].keys()
    _write_json(
        out,
        {
            "runs_s": [run["seconds"] for run in runs],
            "median_s": {k: statistics.median(run["seconds"][k] for run in runs) for k in steps},
            "fits": runs[-1]["fits"],
            "customers": runs[-1]["summary"].num_rows,
            "transactions": transactions.num_rows,
            "fraction": fraction,
            "openblas_num_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "rss_mb": _rss_mb(),
        },
    )


def step_lifetimes(out: str, fraction: float, ours_path: str) -> None:
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
    table = _sample(pq.read_table(TRANSACTIONS), fraction)
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
        _write_json(out, state)
        return time.perf_counter()

    def end(step: str, started: float) -> None:
        state["seconds"][step] = time.perf_counter() - started
        state.pop("running", None)
        _write_json(out, state)

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

        ours = _our_summary_and_fits(table, AnalyticsParams())["fits"]
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
    state["rss_mb"] = _rss_mb()
    state["finished"] = True
    _write_json(out, state)


STEPS = {
    "load": lambda a: step_load(a.out, a.db, a.customers, a.lines),
    "recompute": lambda a: step_recompute(a.out, a.db),
    "transactions": lambda a: step_transactions(a.out, a.db),
    "floor": lambda a: step_floor(a.out, a.repeat),
    "tierwise": lambda a: step_tierwise(a.out, a.repeat, a.fraction),
    "lifetimes": lambda a: step_lifetimes(a.out, a.fraction, a.ours),
}


# ---------------------------------------------------------------------------------------------
# The driver


def _cpu_idle(seconds: float = 1.0) -> float:
    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(total1 - total0, 1)


def settle(kind: str, max_wait: float = 240.0) -> float:
    """Before a timed step: CHECKPOINT, then wait until no autovacuum worker runs and the CPUs
    are at least 90% idle for 3 s in a row (the first runs after the load met a busy server)."""
    started = time.time()
    quiet = 0
    while time.time() - started < max_wait:
        busy_pg = 0
        if kind == "postgresql":
            import psycopg

            with psycopg.connect(_libpq(PG_URL), autocommit=True) as conn:
                if quiet == 0 and time.time() - started < 1:
                    conn.execute("CHECKPOINT")
                busy_pg = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                ).fetchone()[0]
        quiet = quiet + 1 if busy_pg == 0 and _cpu_idle() >= 0.9 else 0
        if quiet >= 3:
            break
    return time.time() - started


SETTLE = {"kind": "postgresql", "waited_s": {}}


def run_step(
    name: str,
    args: list[str],
    limit: float | None = None,
    env: dict[str, str] | None = None,
    python: str | None = None,
    script: Path | None = None,
) -> tuple[dict[str, Any] | None, str]:
    """Run a step in a fresh process; returns (its JSON, '' or why it stopped).

    With `limit`, the step is stopped when the sub-step it reports as running (its JSON's
    "running") has taken longer than `limit` seconds, or the whole process 3 × `limit`.
    """
    out = DATA / f"recompute_step_{name}.json"
    out.unlink(missing_ok=True)
    command = [python or sys.executable, str(script or Path(__file__))]
    command += ([] if script else ["_step", name]) + ["--out", str(out), *args]
    full_env = {**os.environ, **(env or {})}
    if name != "load":
        SETTLE["waited_s"][name] = settle(SETTLE["kind"])
    log = open(DATA / f"recompute_step_{name}.log", "w")  # noqa: SIM115
    print(f"  [{time.strftime('%H:%M:%S')}] {name} …", flush=True)
    process = subprocess.Popen(command, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    started = time.time()
    reason = ""
    while process.poll() is None:
        time.sleep(2)
        if limit is None:
            continue
        state = _read(out) or {}
        running = state.get("running")
        if running and time.time() - running["since"] > limit:
            reason = f"step {running['step']!r} passed the {limit:.0f} s limit"
        elif time.time() - started > 3 * limit:
            reason = f"the process passed {3 * limit:.0f} s"
        if reason:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    log.close()
    if process.returncode != 0 and not reason:
        tail = (DATA / f"recompute_step_{name}.log").read_text()[-3000:]
        reason = f"exit code {process.returncode}: {tail}"
    print(
        f"  [{time.strftime('%H:%M:%S')}] {name} done in {time.time() - started:.1f} s"
        + (f" — {reason[:200]}" if reason else ""),
        flush=True,
    )
    return _read(out), reason


def _read(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def machine_facts(pymc_python: str | None) -> dict[str, Any]:
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

        with psycopg.connect(_libpq(PG_URL, "postgres")) as conn:
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
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def scaled(state: dict[str, Any] | None, factor: float) -> dict[str, float]:
    return {k: v * factor for k, v in (state or {}).get("seconds", {}).items()}


def run_library(name: str, args: list[str], limit: float, **kwargs: Any) -> dict[str, Any]:
    """Run a reference library on all transactions; past the limit, on 10% of the customers."""
    state, reason = run_step(name, [*args, "--fraction", "1"], limit, **kwargs)
    result: dict[str, Any] = {"full": state, "stopped": reason}
    if reason or not (state and state.get("finished")):
        sample, sample_reason = run_step(
            f"{name}_sample", [*args, "--fraction", "0.1"], limit, **kwargs
        )
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


def relative_differences(
    ours: dict[str, Any], theirs: dict[str, float] | None
) -> dict[str, float] | None:
    if not theirs:
        return None
    return {k: abs(ours["params"][k] - v) / abs(v) for k, v in theirs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
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
    parser.add_argument("--results", type=Path, default=RESULTS / "recompute.md")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    RESULTS.mkdir(exist_ok=True)
    SETTLE["kind"] = args.db
    previous = _read(args.results.with_suffix(".json")) or {}
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
    db = ["--db", args.db]
    if not args.skip_load:
        report["load"], reason = run_step(
            "load", [*db, "--customers", str(args.customers), "--lines", str(args.lines)]
        )
        if reason:
            raise SystemExit(f"loading failed: {reason}")
    else:
        report["load"] = previous.get("load")
    if args.skip_recompute and previous.get("recompute"):
        report["recompute"] = previous["recompute"]
    else:
        report["recompute"], reason = run_step("recompute", db)
        if reason:
            raise SystemExit(f"recompute failed: {reason}")
    report["transactions"], reason = run_step("transactions", db)
    if reason:
        raise SystemExit(f"extracting the transactions failed: {reason}")
    repeat = ["--repeat", str(args.repeat)]
    report["floor"], _ = run_step("floor", repeat)
    report["tierwise"], reason = run_step("tierwise", [*repeat, "--fraction", "1"])
    if reason:
        raise SystemExit(f"Tierwise's summary + fits failed: {reason}")
    report["tierwise_openblas1"], _ = run_step(
        "tierwise_openblas1", [*repeat, "--fraction", "1"], env={"OPENBLAS_NUM_THREADS": "1"}
    )
    ours_json = str(DATA / "recompute_step_tierwise.json")
    if args.skip_lifetimes and previous.get("lifetimes"):
        report["lifetimes"] = previous["lifetimes"]
    else:
        report["lifetimes"] = run_library("lifetimes", ["--ours", ours_json], args.step_limit)
    if args.skip_pymc:
        report["pymc"] = previous.get("pymc") or {"skipped": "--skip-pymc"}
    elif not Path(args.pymc_python).exists():
        report["pymc"] = {
            "skipped": f"{args.pymc_python} not found: pip install pymc-marketing "
            "into its own venv (see the docstring)"
        }
    else:
        report["pymc"] = run_library(
            "pymc",
            ["--transactions", str(TRANSACTIONS), "--as-of", AS_OF.isoformat()],
            args.step_limit,
            python=args.pymc_python,
            script=BENCH / "recompute_pymc.py",
        )
    report["settle_waited_s"] = SETTLE["waited_s"]
    _write_json(args.results.with_suffix(".json"), report)
    text = render(report)
    print(text)
    notes = ""
    if args.results.exists():
        old = args.results.read_text()
        if NOTES_MARK in old:
            notes = old[old.index(NOTES_MARK) :]
    args.results.write_text(text + "\n" + (notes or NOTES_MARK + "\n"))


# ---------------------------------------------------------------------------------------------
# Report


def _s(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def _x(value: float | None) -> str:
    return "—" if value is None else f"{value:,.1f}×"


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    load = r.get("load") or {}
    rc = r["recompute"]
    stages = rc["stages_s"]
    tw = r["tierwise"]["median_s"]
    tw1 = (r.get("tierwise_openblas1") or {}).get("median_s", {})
    floor = r["floor"]["transactions"]["median_s"]
    floor_all = r["floor"]["all_lines"]["median_s"]
    lt = r["lifetimes"]
    lts = lt.get("seconds", {})
    pm = r.get("pymc") or {}
    pms = pm.get("seconds", {})
    snapshot = sum(stages.get(k, 0.0) for k in ("extract", "indicators", "models", "rules"))
    lines = []
    add = lines.append
    add("# Recompute benchmark\n")
    add(f"Run {r['when']}, as of {r['as_of']}. Rerun (from the repository root):\n")
    add(f"```sh\n{r['command']}\n```\n")
    add("## Machine\n")
    add("| | |\n|---|---|")
    for key in (
        "cpu",
        "nproc",
        "memory_gib",
        "python",
        "postgresql",
        "pg_shared_buffers",
        "pg_work_mem",
        "duckdb",
        "ibis",
        "pyarrow",
        "numpy",
        "scipy",
        "pandas",
        "sqlalchemy",
        "adbc_driver_postgresql",
        "lifetimes",
        "pymc_marketing",
        "OPENBLAS_CORETYPE",
        "OPENBLAS_L2_SIZE",
        "OPENBLAS_NUM_THREADS",
    ):
        add(f"| {key} | {m.get(key)} |")
    add("")
    add("## Data\n")
    tr = r["transactions"]
    add(
        f"{load.get('customers', '?'):,} customers, {load.get('products', '?'):,} products, "
        f"{load.get('orders', '?'):,} orders, {load.get('order_lines', '?'):,} order lines "
        f"({load.get('return_lines', '?'):,} of them return lines), "
        f"{load.get('interactions', 0):,} logged contacts, {load.get('referrals', 0):,} referrals, "
        f"{load.get('surveys', 0):,} surveys; generated by "
        f"bench/recompute_data.py (seed 20261124). Extracted lines up to as-of: {tr['lines']:,}; "
        f"sale lines with a positive amount (the transactions every comparison below uses): "
        f"{tr['transactions']:,} of {tr['customers_with_transactions']:,} customers.\n"
    )
    add("## Recompute, end to end from the database\n")
    add(
        f"`recompute(uow, engine, {r['as_of']}, AnalyticsParams())` in a fresh process "
        f"(imports before the clock: {rc['import_s']:.1f} s).\n"
    )
    add("| stage | seconds | share |\n|---|---:|---:|")
    for key in ("extract", "indicators", "models", "rules", "store"):
        if key in stages:
            add(f"| {key} | {_s(stages[key])} | {stages[key] / rc['wall_s']:.0%} |")
    add(f"| **total (wall)** | **{_s(rc['wall_s'])}** | |")
    add("")
    peak = rc["peak_rss_mb"]
    by_stage = ", ".join(f"{k} {v:,.0f}" for k, v in rc.get("peak_rss_by_stage_mb", {}).items())
    add(
        f"Peak RSS of the recompute process: **{peak:,.0f} MB** (before the call "
        f"{rc['rss_before_mb']:,.0f} MB; highest sampled RSS per stage, MB: {by_stage}). "
        "The PostgreSQL server's own memory is not included.\n"
    )
    add("## Side by side on the same transactions\n")
    add(
        f"Medians of {len(r['tierwise']['runs_s'])} runs for the floor and Tierwise; one run for "
        "the libraries. Seconds:\n"
    )
    add(
        "| step | floor (DuckDB GROUP BY) | Tierwise | Tierwise, OPENBLAS_NUM_THREADS=1 | lifetimes | pymc-marketing |"
    )
    add("|---|---:|---:|---:|---:|---:|")
    ext = set(lt.get("extrapolated", []))
    pext = set(pm.get("extrapolated", []))

    def mark(value: float | None, step: str, extrapolated: set[str]) -> str:
        return _s(value) + (" (×10 of a 10% sample)" if step in extrapolated else "")

    names = {
        "summary": "summary (frequency, recency, T, monetary)",
        "bg_nbd": "BG/NBD fit",
        "gamma_gamma": "Gamma-Gamma fit",
        "total": "**summary + both fits**",
    }
    for step, label in names.items():
        add(
            f"| {label} | {_s(floor) if step == 'summary' else ''} | {_s(tw.get(step))} | "
            f"{_s(tw1.get(step))} | {mark(lts.get(step), step, ext)} | {mark(pms.get(step), step, pext)} |"
        )
    add("")
    fastest = {k: min(run[k] for run in r["tierwise"]["runs_s"]) for k in tw}
    add(
        f"Fastest of the runs: floor {_s(min(r['floor']['transactions']['runs_s']))} s; Tierwise "
        + ", ".join(f"{k} {_s(v)}" for k, v in fastest.items())
        + " s. "
        + "Waited for a quiet machine before each step (s): "
        + ", ".join(f"{k} {v:.0f}" for k, v in (r.get("settle_waited_s") or {}).items())
        + "."
    )
    add("")
    add("## Ratios against the targets\n")
    add("| measure | value | target | met |\n|---|---:|---:|:---:|")
    ratio = lts.get("total", 0) / tw["total"] if lts.get("total") else None
    add(
        f"| lifetimes / Tierwise, summary + both fits | {_x(ratio)} | ≥ 20× | "
        f"{'yes' if ratio and ratio >= 20 else 'no'} |"
    )
    for step in ("summary", "bg_nbd", "gamma_gamma"):
        if lts.get(step):
            add(f"| … of which {names[step]} | {_x(lts[step] / tw[step])} | | |")
    if pms.get("total"):
        add(
            f"| pymc-marketing / Tierwise, summary + both fits | {_x(pms['total'] / tw['total'])} | | |"
        )
    whole = snapshot / floor
    ind = stages["indicators"] / floor
    add(
        f"| whole snapshot (extract + indicators + models + rules = {_s(snapshot)} s) / floor "
        f"GROUP BY ({_s(floor)} s) | {_x(whole)} | ≤ 6× | {'yes' if whole <= 6 else 'no'} |"
    )
    add(
        f"| indicators stage alone ({_s(stages['indicators'])} s) / floor | {_x(ind)} | ≤ 6× | "
        f"{'yes' if ind <= 6 else 'no'} |"
    )
    add(
        f"| whole recompute incl. store ({_s(rc['wall_s'])} s) / floor | {_x(rc['wall_s'] / floor)} | | |"
    )
    add(f"| floor over all {tr['lines']:,} extracted lines | {_s(floor_all)} s | | |")
    add(
        f"| peak RSS of the recompute | {peak / 1024:,.2f} GB | < 8 GB | {'yes' if peak < 8 * 1024 else 'no'} |"
    )
    agreement = []
    for model, _keys in (("bg_nbd", ("r", "alpha", "a", "b")), ("gamma_gamma", ("p", "q", "v"))):
        full = lt.get("full") or {}
        compared = full.get("compared_with") or (lt.get("sample") or {}).get("compared_with")
        theirs = full.get(model) or (lt.get("sample") or {}).get(model)
        if not compared or not theirs:
            add(
                f"| parameters {model} vs lifetimes | {full.get(model + '_error', 'not fitted')} | ≤ 1e-3 | no |"
            )
            continue
        rel = relative_differences(compared[model], theirs)
        worst = max(rel.values())
        agreement.append((model, rel, compared[model]["params"], theirs))
        add(
            f"| parameters {model} vs lifetimes, max relative difference | {worst:.1e} | ≤ 1e-3 | "
            f"{'yes' if worst <= 1e-3 else 'no'} |"
        )
    add("")
    add("### Fitted parameters\n")
    add("| model | parameter | Tierwise | lifetimes | relative difference | pymc-marketing MAP |")
    add("|---|---|---:|---:|---:|---:|")
    pmfull = pm.get("full") or {}
    for model, rel, ours, theirs in agreement:
        for k in ours:
            pv = (pmfull.get(model) or {}).get(k)
            add(
                f"| {model} | {k} | {ours[k]:.6g} | {theirs[k]:.6g} | {rel[k]:.1e} | "
                f"{'—' if pv is None else f'{pv:.6g}'} |"
            )
    full = lt.get("full") or {}
    lls = full.get("log_likelihood_by_lifetimes") or (lt.get("sample") or {}).get(
        "log_likelihood_by_lifetimes"
    )
    if lls:
        add("")
        add(
            "Log-likelihood of each parameter set under lifetimes' own likelihood functions (higher is "
            "the better maximum): " + ", ".join(f"{k} {v:,.3f}" for k, v in lls.items()) + "."
        )
    if full.get("summary_agreement"):
        add("")
        add(
            "Summary agreement, Tierwise vs lifetimes (same customers; max differences): "
            + ", ".join(f"{k} {v}" for k, v in full["summary_agreement"].items())
            + "."
        )
    for label, lib in (("lifetimes", lt), ("pymc-marketing", pm)):
        notes = []
        if lib.get("stopped"):
            notes.append(f"full run stopped: {lib['stopped'][:300]}")
        if lib.get("sample_stopped"):
            notes.append(f"sample run stopped: {lib['sample_stopped'][:300]}")
        if lib.get("skipped"):
            notes.append(f"skipped: {lib['skipped']}")
        f = lib.get("full") or {}
        for key in ("bg_nbd_error", "gamma_gamma_error", "error"):
            if f.get(key):
                notes.append(f"{key}: {f[key][:300]}")
        if notes:
            add("")
            add(f"{label}: " + "; ".join(notes))
    add("")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_step":
        step_parser = argparse.ArgumentParser()
        step_parser.add_argument("--out", required=True)
        step_parser.add_argument("--db", default="postgresql")
        step_parser.add_argument("--customers", type=int)
        step_parser.add_argument("--lines", type=int)
        step_parser.add_argument("--repeat", type=int, default=5)
        step_parser.add_argument("--fraction", type=float, default=1.0)
        step_parser.add_argument("--ours", default="")
        name = sys.argv[2]
        STEPS[name.removesuffix("_openblas1").removesuffix("_sample")](
            step_parser.parse_args(sys.argv[3:])
        )
    else:
        main()
