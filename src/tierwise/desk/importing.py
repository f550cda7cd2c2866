"""Import satisfaction surveys (NPS, CSAT, expectation and perception per factor)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from sqlalchemy import Table

from tierwise.customers.importing import CustomerRecordsImport
from tierwise.customers.surveys import SatisfactionFactor, Survey
from tierwise.ingest.columns import Column, Kind

SURVEY_COLUMNS = (
    Column("customer_code", "客户编码", required=True, code=True, max_length=64),
    Column("answered_on", "调查日期", Kind.DATE, required=True, aliases=("日期",)),
    Column("code", "问卷编号", code=True, max_length=130),
    Column("nps", "推荐意愿", Kind.INTEGER, bounds=(0, 10), aliases=("NPS",)),
    Column("csat", "满意度", Kind.INTEGER, bounds=(1, 5), aliases=("CSAT",)),
    *(
        Column(f"{factor.value}_{side}", f"{factor.zh}{zh}", Kind.INTEGER, bounds=(1, 5))
        for factor in SatisfactionFactor
        for side, zh in (("expected", "期望"), ("perceived", "感知"))
    ),
)


@dataclass(frozen=True)
class SurveysImport(CustomerRecordsImport):
    """Surveys upserted on their code (default: customer code and date)."""

    name: str = "surveys"
    columns: Sequence[Column] = SURVEY_COLUMNS
    table: ClassVar[Table] = Survey.__table__
    key_from: ClassVar[str] = "answered_on"
    separator: ClassVar[str] = "@"
