"""The outbox as a mailing list: one row per notice, for a mail-merge outside the house."""

from __future__ import annotations

from pathlib import Path

from tierwise.db.session import UnitOfWork
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.notices.models import NoticeStatus
from tierwise.notices.service import list_notices
from tierwise.sheets import CsvWriter

# (English header, Chinese header): what a mailing needs, in business words.
COLUMNS = (
    ("Customer code", "客户编号"),
    ("Customer name", "客户名称"),
    ("Email", "电子邮箱"),
    ("Subject", "主题"),
    ("Message", "正文"),
)


def headers(chinese: bool) -> list[str]:
    """The header row, in English or in Chinese."""
    return [zh if chinese else en for en, zh in COLUMNS]


def export_notices(
    uow: UnitOfWork,
    principal: Principal,
    path: Path,
    status: NoticeStatus | None = NoticeStatus.APPROVED,
    chinese_headers: bool = False,
) -> int:
    """Write the notices (approved ones by default) to a CSV Excel opens; who took the file with
    the customers' addresses is on record."""
    require(principal, Permission.EXPORTS_RUN)
    rows = list_notices(uow.session, principal, status)
    record(
        uow.session,
        principal,
        "export",
        "notice",
        None,
        ["email"],
        note=f"{len(rows)} notices to {path.name}",
    )
    tmp = path.with_name(path.name + ".part")
    with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = CsvWriter(handle)
        writer.writerow(headers(chinese_headers))
        for notice, customer in reversed(rows):
            writer.writerow(
                [customer.code, customer.name, customer.email, notice.subject, notice.body]
            )
    tmp.replace(path)
    return len(rows)
