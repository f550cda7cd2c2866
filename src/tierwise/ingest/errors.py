"""What goes wrong in an import, said with file, row, column, value and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tierwise.errors import DomainError
from tierwise.i18n import _

MAX_REPORTED = 1000
SHOWN_CHARS = 100  # of a value echoed in a message: enough to find it, not a flood


def shortened(value: str | None) -> str | None:
    """A value short enough to echo in a message, saying how long it really was."""
    if value is None or len(value) <= SHOWN_CHARS:
        return value
    return value[:SHOWN_CHARS] + _("… ({n} characters)").format(n=len(value))


@dataclass(frozen=True)
class RowError:
    """One bad value: where it is and what would have been accepted."""

    file: str
    row: int
    column: str
    value: str | None
    expected: str
    note: str = field(default="", compare=False)  # why this value fell short, e.g. a limit

    @property
    def expectation(self) -> str:
        """What was expected, with the note when there is one."""
        return f"{self.expected} ({self.note})" if self.note else self.expected

    def __post_init__(self) -> None:
        """Keep a shortened value: a hostile cell must not flood every message that echoes it."""
        object.__setattr__(self, "value", shortened(self.value))

    def __str__(self) -> str:
        value = "" if self.value is None else self.value
        return _("{file}, row {row}, column {column}: {value!r} — expected {expected}").format(
            file=self.file, row=self.row, column=self.column, value=value, expected=self.expectation
        )


@dataclass
class ErrorLog:
    """Every bad row is counted; the first MAX_REPORTED are kept for the report."""

    errors: list[RowError] = field(default_factory=list)
    count: int = 0
    bad_rows: set[int] = field(default_factory=set)

    def add(self, error: RowError) -> None:
        self.count += 1
        self.bad_rows.add(error.row)
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(error)

    def __bool__(self) -> bool:
        return self.count > 0


class ImportFileError(DomainError):
    """The file as a whole cannot be read: missing, wrong encoding, missing columns."""

    def __init__(self, path: Path | str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = str(path)
        self.message = message


class ImportRejected(DomainError):
    """Some rows are bad and nothing was written; the log says which."""

    def __init__(self, log: ErrorLog) -> None:
        super().__init__(_("{count} bad values; nothing was written").format(count=log.count))
        self.log = log

    def details(self) -> list[dict[str, Any]]:
        """Each bad value with its file, row, column and message."""
        return [
            {"file": e.file, "row": e.row, "column": e.column, "value": e.value, "msg": str(e)}
            for e in self.log.errors
        ]
