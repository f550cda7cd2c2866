"""The engines Ibis expressions run on: DuckDB embedded, PySpark for data beyond one machine."""

from __future__ import annotations

import tempfile
from typing import Any, Literal

import ibis
import pyarrow as pa
from ibis.backends import BaseBackend

EngineName = Literal["duckdb", "spark"]


def connect(engine: EngineName) -> BaseBackend:
    """A fresh backend; Spark runs in local mode unless SPARK_REMOTE or a master is configured."""
    if engine == "duckdb":
        return ibis.duckdb.connect()
    # The spark extra; without it the ImportError names pyspark, and the CLI says which extra.
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.appName("tierwise")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.warehouse.dir", tempfile.mkdtemp(prefix="tierwise-spark-"))
        .getOrCreate()
    )
    return ibis.pyspark.connect(session)


def load(backend: BaseBackend, name: str, table: pa.Table) -> Any:
    """Register an Arrow table with the backend under `name` and return its Ibis table."""
    if backend.name == "pyspark":
        # Ibis goes through pandas here, which turns missing strings into 'NaN'; Arrow does not.
        frame = backend._session.createDataFrame(table)
        frame.createOrReplaceTempView(name)
        return backend.table(name)
    return backend.create_table(name, table, overwrite=True)


def materialise(backend: BaseBackend, name: str, expression: Any) -> Any:
    """Compute an expression once into a table of the backend, for reuse by later expressions."""
    return backend.create_table(name, expression, overwrite=True)
