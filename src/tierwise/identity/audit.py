"""The audit trail: who read personal fields, who changed what (old → new), when, from where."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from tierwise.db.base import plain
from tierwise.identity.access import Principal
from tierwise.identity.models import AuditEntry
from tierwise.identity.roles import PERSONAL_FIELDS

PERSONAL_VALUE = "(personal)"


def record(
    session: Session,
    principal: Principal,
    action: str,
    resource: str,
    resource_id: str | None = None,
    fields: Iterable[str] | None = None,
    changes: dict[str, Any] | None = None,
    note: str | None = None,
) -> AuditEntry:
    """Append one entry; jobs run by the system are told apart from people by `actor_kind`."""
    entry = AuditEntry(
        actor_kind=principal.kind,
        actor=principal.username,
        action=action,
        resource=resource,
        resource_id=resource_id,
        fields=sorted(fields) if fields is not None else None,
        changes=changes,
        address=principal.address,
        note=note,
    )
    session.add(entry)
    return entry


def record_job(
    session: Session, job: str, requested_by: str | None, resource_id: str | None, note: str
) -> AuditEntry:
    """A job's run as system activity, apart from people's edits, and who asked for it."""
    entry = AuditEntry(
        actor_kind="system",
        actor=job,
        action=job,
        resource="job",
        resource_id=resource_id,
        note=f"{note}; requested by {requested_by}" if requested_by else note,
    )
    session.add(entry)
    return entry


def changes_of(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Old → new per changed field; personal values are not copied into the log, only the fact."""
    changed: dict[str, Any] = {}
    for field, new in after.items():
        old = before.get(field)
        if old == new:
            continue
        if field in PERSONAL_FIELDS or field == "name":  # a person's name is personal data
            changed[field] = [PERSONAL_VALUE, PERSONAL_VALUE]
        else:
            changed[field] = [plain(old), plain(new)]
    return changed
