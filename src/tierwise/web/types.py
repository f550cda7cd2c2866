"""Field types of the HTTP API that accept exactly what the OpenAPI document says, no more."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from fastapi import Path
from pydantic import AwareDatetime, BeforeValidator

# Years 1900–2099: older or later dates are typing mistakes, and they overflow time-zone arithmetic.
ISO_DATE = re.compile(r"(19|20)\d{2}-\d{2}-\d{2}")
ISO_DATETIME = re.compile(
    r"(19|20)\d{2}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})"
)
MAX_ID = 2**31 - 1


def _date_text(value: Any) -> Any:
    """Pydantic would read 0 or '1700000000' as a date; the API takes YYYY-MM-DD only."""
    if isinstance(value, dt.date) or (isinstance(value, str) and ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("expected a date written YYYY-MM-DD, between 1900 and 2099")


def _datetime_text(value: Any) -> Any:
    """An ISO timestamp with its time zone, never a bare number."""
    if isinstance(value, dt.datetime) or (isinstance(value, str) and ISO_DATETIME.fullmatch(value)):
        return value
    raise ValueError("expected a timestamp with time zone, e.g. 2026-11-02T10:00:00+08:00")


IsoDate = Annotated[dt.date, BeforeValidator(_date_text)]
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_datetime_text)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="the row's id")]
