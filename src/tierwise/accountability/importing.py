"""Import a staff list, so customers can name their owner and CSR by staff code."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, String, Table, cast, select, union_all

from tierwise.i18n import _
from tierwise.ingest.columns import Column, Kind
from tierwise.ingest.errors import RowError
from tierwise.ingest.pipeline import (
    Check,
    Import,
    ImportOptions,
    WriteCounts,
    duplicate_rows,
    unknown_references,
)
from tierwise.ingest.upsert import link_by_code, upsert_staged
from tierwise.organisation.models import Staff, StaffLevel, StaffRole

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
            yield manager_cycles(stage, file)

    def write(self, conn: Connection, stage: Table, options: ImportOptions) -> WriteCounts:
        table = Staff.__table__
        counts = upsert_staged(
            conn, stage, table, "code", defaults={"level": StaffLevel.JUNIOR.value, "active": True}
        )
        if "manager" in stage.c:
            link_by_code(conn, stage, table, "manager", "manager_id")
        return counts


def manager_cycles(stage: Table, file: str) -> Check:
    """Rows making a staff member their own manager, directly or up a chain of managers.

    Chains are followed as they will stand after the import: the file's links for the staff it
    lists, the database's for everyone else.
    """
    staff = Staff.__table__
    manager = staff.alias("manager")
    links = union_all(
        select(
            cast(stage.c.code, String).label("code"),
            cast(stage.c.manager, String).label("manager"),
        ),
        select(cast(staff.c.code, String), cast(manager.c.code, String))
        .join(manager, manager.c.id == staff.c.manager_id)
        .where(staff.c.code.not_in(select(stage.c.code))),
    ).cte("links")
    chain = (
        select(cast(stage.c.code, String).label("start"), cast(stage.c.manager, String).label("up"))
        .where(stage.c.manager.is_not(None))
        .cte("chain", recursive=True)
    )
    chain = chain.union(
        select(chain.c.start, links.c.manager).join(links, links.c.code == chain.c.up)
    )
    loops_back = select(chain.c.start).where(
        chain.c.start == stage.c.code, chain.c.up == stage.c.code
    )
    query = (
        select(stage.c.row_no, stage.c.manager, stage.c.code)
        .where(loops_back.exists())
        .order_by(stage.c.row_no)
    )
    itself = _("a manager other than the staff member themself")
    chained = _("a manager whose own chain of managers does not lead back to this staff member")
    return Check(
        query,
        lambda r: RowError(
            file, r.row_no, "manager", r.manager, itself if r.manager == r.code else chained
        ),
    )
