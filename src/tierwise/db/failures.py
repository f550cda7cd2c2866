"""What a database failure means for whoever asked: wait and retry, or fix the machine."""

from __future__ import annotations

import sqlite3
from enum import Enum

from sqlalchemy.exc import DBAPIError


class Trouble(Enum):
    """A failure of the database's surroundings rather than of the request or the code."""

    BUSY = "busy"  # another writer holds the lock: try again when it is done
    FULL = "full"  # no room left on the disk
    READ_ONLY = "read_only"  # the file, folder or server refuses writes
    UNREACHABLE = "unreachable"  # the file cannot be opened or the server does not answer


# PostgreSQL SQLSTATEs: lock_not_available, deadlock_detected, serialization_failure,
# disk_full, read_only_sql_transaction, and the connection classes 08xxx.
SQLSTATES = {
    "55P03": Trouble.BUSY,
    "40P01": Trouble.BUSY,
    "40001": Trouble.BUSY,
    "53100": Trouble.FULL,
    "25006": Trouble.READ_ONLY,
}
# What SQLite (and PostgreSQL, where the driver gives no SQLSTATE) says in each case.
MESSAGES = (
    ("database is locked", Trouble.BUSY),
    ("database table is locked", Trouble.BUSY),
    ("database schema is locked", Trouble.BUSY),
    ("could not obtain lock", Trouble.BUSY),
    ("lock timeout", Trouble.BUSY),
    ("database or disk is full", Trouble.FULL),
    ("no space left on device", Trouble.FULL),
    ("could not extend file", Trouble.FULL),
    ("readonly database", Trouble.READ_ONLY),
    ("read-only", Trouble.READ_ONLY),
    ("unable to open database file", Trouble.UNREACHABLE),
    ("connection refused", Trouble.UNREACHABLE),
    ("could not connect", Trouble.UNREACHABLE),
    ("connection failed", Trouble.UNREACHABLE),
    ("server closed the connection", Trouble.UNREACHABLE),
)


def trouble_of(exc: BaseException) -> Trouble | None:
    """The kind of trouble behind a driver error, or None when the request or code is at fault."""
    if isinstance(exc, DBAPIError):
        driver_error: BaseException = exc.orig or exc
    elif isinstance(exc, sqlite3.Error):
        driver_error = exc
    else:
        return None
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate in SQLSTATES:
        return SQLSTATES[sqlstate]
    if isinstance(sqlstate, str) and sqlstate.startswith("08"):
        return Trouble.UNREACHABLE
    text = str(driver_error).lower()
    return next((trouble for words, trouble in MESSAGES if words in text), None)


def first_line(exc: BaseException) -> str:
    """The driver's own words, without SQLAlchemy's SQL echo and background link."""
    driver_error = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    return (str(driver_error).strip().splitlines() or [type(exc).__name__])[0]
