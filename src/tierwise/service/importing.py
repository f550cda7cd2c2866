"""Import satisfaction surveys (NPS, CSAT, expectation and perception per factor)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Column as SAColumn
from sqlalchemy import Connection, String, Table

from tierwise.customers.models import Customer
from tierwise.i18n import _
from tierwise.ingest.columns import Column, Kind
from tierwise.ingest.parse import default_key
from tierwise.ingest.pipeline import (
    Check,
    ImportOptions,
    WriteCounts,
    duplicate_rows,
    unknown_references,
)
from tierwise.ingest.upsert import Reference, upsert_staged
from tierwise.service.models import SatisfactionFactor, Survey

SURVEY_COLUMNS = (
    Column("customer_code", "客户编码", required=True, max_length=64),
    Column("answered_on", "调查日期", Kind.DATE, required=True, aliases=("日期",)),
    Column("code", "问卷编号", max_length=130),
    Column("nps", "推荐意愿", Kind.INTEGER, bounds=(0, 10), aliases=("NPS",)),
    Column("csat", "满意度", Kind.INTEGER, bounds=(1, 5), aliases=("CSAT",)),
    *(
        Column(f"{factor.value}_{side}", f"{factor.zh}{zh}", Kind.INTEGER, bounds=(1, 5))
        for factor in SatisfactionFactor
        for side, zh in (("expected", "期望"), ("perceived", "感知"))
    ),
)


@dataclass(frozen=True)
class SurveysImport:
    """Surveys upserted on their code (default: customer code and date)."""

    name: str = "surveys"
    columns: Sequence[Column] = SURVEY_COLUMNS
    extra_stage_columns: Sequence[SAColumn[Any]] = (SAColumn("code", String(130)),)
    cascade_column: str | None = None

    def derive(self, rows: pa.Table) -> pa.Table:
        return default_key(rows, "code", ("customer_code", "answered_on"), "@")

    def checks(self, stage: Table, file: str, options: ImportOptions) -> Iterable[Check]:
        yield duplicate_rows(stage, "code", file)
        yield unknown_references(
            stage,
            "customer_code",
            Customer.code,
            file,
            _("the code of a customer (import customers first)"),
        )

    def write(self, conn: Connection, stage: Table, options: ImportOptions) -> WriteCounts:
        customer = Reference("customer_code", "customer_id", Customer.__table__.c.code)
        return upsert_staged(conn, stage, Survey.__table__, "code", [customer])
