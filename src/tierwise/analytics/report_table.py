"""What every analytics report is: a titled table with commentary, shares marked for printing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Report:
    """A titled table: column headers, rows, and lines of commentary under it."""

    title: str
    columns: list[str]
    rows: list[list[Any]]
    notes: list[str]
    percent: frozenset[int] = frozenset()  # positions of columns that hold shares


def share_of(part: float | None, whole: float | None) -> float | None:
    """part ÷ whole, or nothing when either is unknown or the whole is zero."""
    return None if not whole or part is None else part / whole
