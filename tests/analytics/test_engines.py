"""The same Ibis expressions give the same snapshot on DuckDB and on PySpark."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pyarrow as pa
import pytest

from tierwise.analytics.engines import connect
from tierwise.analytics.extract import extract
from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.snapshot import compute
from tierwise.tiering.grading import grade
from tierwise.tiering.policy import default_policy_text, load_policy

from ..support.demo_db import committed_demo

pytest.importorskip("pyspark", reason="the spark extra is not installed")

AS_OF = dt.date(2026, 11, 1)


def test_duckdb_and_spark_agree(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'engines.db'}"
    demo = committed_demo(url, customers=250, seed=11, as_of=AS_OF)
    facts = extract(demo.engine, AS_OF)
    params = AnalyticsParams()
    # The JVM is forked first: a process that already holds DuckDB's memory may not fork.
    spark = compute(facts, params, "spark")
    duck = compute(facts, params, "duckdb")
    assert duck.indicators.column_names == spark.indicators.column_names
    left, right = duck.indicators.to_pylist(), spark.indicators.to_pylist()
    assert len(left) == len(right) == 250
    # A few demo customers withdrew analytics consent: both engines empty their profiles alike.
    assert any(row["profiling_withheld"] for row in left)
    for a, b in zip(left, right, strict=True):
        for name, value in a.items():
            other = b[name]
            if isinstance(value, float) and isinstance(other, float):
                assert math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-9), (name, a, b)
            else:
                assert value == other, (name, a["customer_id"], value, other)

    def cells(table: pa.Table) -> list[dict[str, object]]:
        return sorted(table.to_pylist(), key=lambda c: (c["customer_label"], c["category"]))

    for a, b in zip(cells(duck.category_profits), cells(spark.category_profits), strict=True):
        assert a == {**b, "profit": pytest.approx(b["profit"], rel=1e-9)}

    # The tier policy's conditions run on either engine and grade alike.
    policy = load_policy(default_policy_text())
    on_spark = grade(policy, spark.indicators, AS_OF, connect("spark"))
    on_duck = grade(policy, spark.indicators, AS_OF, connect("duckdb"))
    assert list(on_spark.qualified) == list(on_duck.qualified)
    assert len(set(on_duck.qualified)) >= 3
