"""Where the recompute's time goes, piece by piece, on the database bench/recompute.py loaded.

    .venv/bin/python bench/recompute_profile.py [--db postgresql|sqlite] [--out FILE.json]

Re-runs the pieces of `analytics.snapshot.compute` (and of extract and store) one at a time, with
intermediate results materialised, so each line is the cost of that piece alone. Not a measure of
the end-to-end run (bench/recompute.py is); a map for making it faster. Writes nothing to the
database (the store pieces run in a transaction that is rolled back).
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
from recompute_steps import AS_OF, database_url

DATA = harness.DATA

TIMES: dict[str, float] = {}


@contextmanager
def timed(name: str):
    started = time.perf_counter()
    yield
    TIMES[name] = time.perf_counter() - started
    print(f"{name:60s} {TIMES[name]:8.2f} s", flush=True)


def profile_extract(url: str) -> Any:
    """Each extract query alone through ADBC, and the lines query's server-side floor."""
    import adbc_driver_postgresql.dbapi as adbc
    from sqlalchemy.engine import make_url

    from tierwise.analytics.extract import SCHEMAS, _conform, _sql, extract, queries
    from tierwise.db.session import make_engine

    with timed("extract: whole (extract())"):
        facts = extract(make_engine(url), AS_OF)
    if make_url(url).get_backend_name() != "postgresql":
        return facts
    dialect = make_url(url).get_dialect()()
    connection = adbc.connect(harness.libpq(url))
    with connection.cursor() as cursor:
        for name, query in queries(AS_OF).items():
            with timed(f"extract: {name} query + fetch_arrow_table"):
                cursor.execute(_sql(query, dialect))
                table = cursor.fetch_arrow_table()
            with timed(f"extract: {name} _conform"):
                _conform(table, SCHEMAS[name])
        plain = (
            "SELECT o.customer_id, o.id, o.order_date, l.amount, l.cost "
            "FROM order_lines l JOIN orders o ON o.id = l.order_id"
        )
        with timed("extract: floor — order_lines JOIN orders, 5 columns, numeric"):
            cursor.execute(plain)
            cursor.fetch_arrow_table()
        with timed("extract: floor — order_lines alone, 4 columns, numeric"):
            cursor.execute("SELECT order_id, product_id, amount, cost FROM order_lines")
            cursor.fetch_arrow_table()
        with timed("extract: floor — order_lines alone, amount::float8"):
            cursor.execute(
                "SELECT order_id, product_id, amount::float8, cost::float8 FROM order_lines"
            )
            cursor.fetch_arrow_table()
    connection.close()
    return facts


def profile_compute(facts: Any) -> Any:
    """The indicators stage piece by piece, then models and rules."""
    import ibis

    from tierwise.analytics import segments
    from tierwise.analytics.engines import connect, load
    from tierwise.analytics.indicators import (
        btyd_summary,
        decision_times,
        latest_surveys,
        value_indicators,
    )
    from tierwise.analytics.params import AnalyticsParams
    from tierwise.analytics.snapshot import _apply_models, _apply_rules, compute, headline

    params = AnalyticsParams()
    with timed("compute(): indicators + models + rules, as the recompute runs it"):
        snapshot = compute(facts, params)
    backend = connect("duckdb")
    with timed("indicators: load the 5 Arrow tables into DuckDB (create_table)"):
        lines = load(backend, "lines", facts.lines)
        customers = load(backend, "customers", facts.customers)
        referrals = load(backend, "referrals", facts.referrals)
        contacts = load(backend, "first_contacts", facts.first_contacts)
        surveys = load(backend, "surveys", facts.surveys)
    con = backend.con
    with timed("indicators: floor — GROUP BY customer_id over the loaded lines"):
        con.sql(
            "SELECT customer_id, count(*), sum(amount), min(order_date), max(order_date) "
            "FROM lines GROUP BY customer_id"
        ).to_arrow_table()
    with timed("indicators: value_indicators → Arrow"):
        value_arrow = backend.to_pyarrow(value_indicators(lines, facts.as_of))
    with timed("indicators: btyd_summary → Arrow"):
        backend.to_pyarrow(btyd_summary(lines, facts.as_of, params))
    value = backend.create_table("value_m", value_arrow, overwrite=True)
    buyers = value.filter(value.orders > 0)
    with timed("indicators: rfm (3 percent_rank windows) on materialised values"):
        backend.to_pyarrow(segments.rfm(buyers, params))
    with timed("indicators: abc (running-sum windows) on materialised values"):
        backend.to_pyarrow(segments.abc(buyers, params))
    with timed("indicators: profit_labels on materialised values"):
        labels_arrow = backend.to_pyarrow(segments.profit_labels(buyers, params))
    with timed("indicators: decision_times + latest_surveys"):
        backend.to_pyarrow(decision_times(lines, contacts))
        backend.to_pyarrow(latest_surveys(surveys))
    labels = backend.create_table("labels_m", labels_arrow, overwrite=True)
    with timed("indicators: category_matrix (labels materialised)"):
        backend.to_pyarrow(segments.category_matrix(lines, labels, params))
    value = value_indicators(lines, facts.as_of)
    buyers = value.filter(value.orders > 0)
    labels = segments.profit_labels(buyers, params)
    joined = customers
    for part in (
        value,
        btyd_summary(lines, facts.as_of, params),
        segments.rfm(buyers, params),
        segments.abc(buyers, params),
        labels,
        referrals,
        decision_times(lines, contacts),
        latest_surveys(surveys),
    ):
        joined = joined.left_join(part, "customer_id").drop("customer_id_right")
    with timed("indicators: the joined snapshot query → Arrow (as compute() runs it)"):
        table = backend.to_pyarrow(joined.order_by("customer_id"))
    with timed("indicators: category_matrix (as compute() runs it, labels recomputed)"):
        backend.to_pyarrow(segments.category_matrix(lines, labels, params))
    sql = ibis.to_sql(joined.order_by("customer_id"), dialect="duckdb")
    (DATA / "recompute_profile_snapshot.sql").write_text(str(sql))
    plan = con.sql("EXPLAIN ANALYZE " + str(sql)).fetchall()
    (DATA / "recompute_profile_snapshot_plan.txt").write_text("\n".join(r[1] for r in plan))

    from tierwise.analytics import clv
    from tierwise.analytics.snapshot import _column

    with timed("models: _apply_models (whole)"):
        with_models, _fits = _apply_models(table, params)
    f, r, t = (_column(table, f"btyd_{n}") for n in ("frequency", "recency", "t"))
    m = _column(table, "btyd_monetary")
    buyer = ~__import__("numpy").isnan(f)
    f, r, t, m = f[buyer], r[buyer], t[buyer], m[buyer]
    with timed("models: fit_bg_nbd"):
        bg = clv.fit_bg_nbd(f, r, t)
    with timed("models: fit_gamma_gamma"):
        gg = clv.fit_gamma_gamma(f, m)
    with timed("models: p_alive"):
        clv.p_alive(bg.params, f, r, t)
    with timed("models: expected_purchases (12 months)"):
        clv.expected_purchases(bg.params, 12 * 365.25 / 12, f, r, t)
    with timed("models: discounted_clv"):
        clv.discounted_clv(
            bg.params,
            gg.params,
            f,
            r,
            t,
            m,
            0.3,
            12,
            365.25 / 12,
            params.monthly_discount_rate,
            population_mean=float(m[f > 0].mean()),
        )
    with timed("rules: _apply_rules (whole)"):
        with_rules = _apply_rules(with_models, params)
    with timed("rules: headline"):
        headline(with_rules, params)
    return snapshot


def profile_store(url: str, snapshot: Any) -> None:
    """The store pieces inside a transaction that is rolled back."""
    import pyarrow.csv as pacsv
    from sqlalchemy import create_engine

    from tierwise.analytics.models import CustomerIndicator
    from tierwise.analytics.store import _with_run, replace_run

    engine = create_engine(url)
    rows = _with_run(snapshot.indicators, 0, CustomerIndicator)
    with timed("store: pyarrow CSV of the customer_indicators rows (in memory)"):
        buffer = io.BytesIO()
        pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
    with engine.connect() as conn:
        transaction = conn.begin()
        with timed("store: replace_run (whole, rolled back)"):
            replace_run(conn, snapshot)
        transaction.rollback()
    engine.dispose()


def main() -> None:
    """Profile extract, compute and store on the loaded database; write the times as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--out", type=Path, default=DATA / "recompute_profile.json")
    args = parser.parse_args()
    url = database_url(args.db)
    facts = profile_extract(url)
    snapshot = profile_compute(facts)
    profile_store(url, snapshot)
    TIMES["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.write_text(json.dumps(TIMES, indent=1))


if __name__ == "__main__":
    main()
