"""Import a staff list, so customers can name their owner and CSR by staff code."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Table, select

from tierwise.accountability.models import Staff, StaffLevel, StaffRole
from tierwise.i18n import _
from tierwise.ingest.columns import Column, Kind
from tierwise.ingest.pipeline import (
    Check,
    Import,
    ImportOptions,
    WriteCounts,
    duplicate_rows,
    unknown_references,
)
from tierwise.ingest.upsert import link_by_code, upsert_staged

STAFF_COLUMNS = (
    Column("code", "员工编号", required=True, code=True, max_length=64, aliases=("工号",)),
    Column("name", "姓名", required=True),
    Column("role", "岗位", Kind.CHOICE, required=True, choice=StaffRole, aliases=("角色",)),
    Column("level", "级别", Kind.CHOICE, choice=StaffLevel),
    Column("team", "团队", max_length=100, aliases=("部门",)),
    Column("manager", "上级编号", max_length=64, aliases=("上级",)),
    Column("capacity", "客户容量", Kind.INTEGER, non_negative=True),
    Column("email", "邮箱", max_length=200),
    Column("active", "在职", Kind.BOOL),
)


@dataclass(frozen=True)
class StaffImport(Import):
    """Staff upserted on code; managers may appear later in the same file."""

    name: str = "staff"
    columns: Sequence[Column] = STAFF_COLUMNS

    def checks(self, stage: Table, file: str, options: ImportOptions) -> Iterable[Check]:
        yield duplicate_rows(stage, "code", file)
        if "manager" in stage.c:
            yield unknown_references(
                stage,
                "manager",
                Staff.code,
                file,
                _("the code of a staff member in the database or this file"),
                also=select(stage.c.code),
            )

    def write(self, conn: Connection, stage: Table, options: ImportOptions) -> WriteCounts:
        table = Staff.__table__
        counts = upsert_staged(
            conn, stage, table, "code", defaults={"level": StaffLevel.JUNIOR.value, "active": True}
        )
        if "manager" in stage.c:
            link_by_code(conn, stage, table, "manager", "manager_id")
        return counts
