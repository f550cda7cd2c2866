"""The one base of the domain's refusals, so the web kit answers them knowing no capability."""

from __future__ import annotations

from typing import Any

from tierwise.i18n import _


class DomainError(Exception):
    """A refusal the user can act on; `status` is the HTTP answer it maps to."""

    status = 422

    def details(self) -> list[dict[str, Any]] | None:
        """Per-item errors for the answer (the bad rows of a file); None when there are none."""
        return None


class Conflict(DomainError):
    """The request clashes with how things stand: another job runs, a move the workflow forbids."""

    status = 409


class StaleVersion(DomainError):
    """The version the client edited is not the stored one: someone else changed it first."""

    status = 412


def check_version(current: int, expected: int) -> None:
    """Refuse an edit of a version that is no longer the stored one."""
    if current != expected:
        raise StaleVersion(
            _(
                "changed by someone else since you read it (version {now}, yours {yours}); reload"
            ).format(now=current, yours=expected)
        )
