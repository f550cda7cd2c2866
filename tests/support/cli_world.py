"""A committed demo database for the real command line and server, and ways to make them fail."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
from sqlalchemy import make_url

from tierwise.bootstrap import App

from .demo_db import committed_demo
from .postgres import PG_URL, database_for

AS_OF = dt.date(2026, 11, 1)
CUSTOMERS_CSV = "code,name,kind\nZ-LOCKED,Locked Out Co,enterprise\n"
SQLITE_HOLDER = """
import sqlite3, sys
holder = sqlite3.connect(sys.argv[1], isolation_level=None)
holder.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()
holder.rollback()
"""


def demo_database(kind: str, name: str, folder: Path, snapshot: bool) -> App:
    """A committed demo database of this module's own (PostgreSQL names follow the test URL)."""
    own = f"{make_url(PG_URL).database}_{name}"  # engineers sharing a server keep apart
    app = committed_demo(database_for(kind, own, str(folder)), customers=120, seed=5, as_of=AS_OF)
    if snapshot:
        app.recomputes.run(AS_OF, None)
    return app


def url_of(app: App) -> str:
    """The database URL with its password, for a child process."""
    return app.engine.url.render_as_string(hide_password=False)


def with_connect_options(url: str, sqlite_query: str, postgres_setting: str) -> str:
    """The URL with a driver option: a query for sqlite3, a server setting for PostgreSQL."""
    if url.startswith("sqlite"):
        return f"{url}?{sqlite_query}"
    return f"{url}?options={quote(f'-c {postgres_setting}')}"


def impatient(url: str) -> str:
    """The URL with a short wait for locks, so a held lock refuses rather than waits."""
    return with_connect_options(url, "timeout=0.2", "lock_timeout=200")


def read_only(url: str) -> str:
    """The same database opened so it refuses writes: a read-only file, a read-only server."""
    if url.startswith("sqlite"):
        return f"sqlite:///file:{make_url(url).database}?mode=ro&uri=true"
    return with_connect_options(url, "", "default_transaction_read_only=on")


@contextmanager
def write_locked(url: str, tables: str = "customers") -> Iterator[None]:
    """Hold the write lock from another connection: SQLite's EXCLUSIVE, PostgreSQL's LOCK TABLE
    of `tables` (SQLite locks the whole file)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # In a process of its own: another SQLite copy in this one (the extract's) would drop
        # this process's POSIX locks when it closes the file.
        with subprocess.Popen(
            [sys.executable, "-c", SQLITE_HOLDER, str(parsed.database)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        ) as holder:
            assert holder.stdout is not None and holder.stdout.readline() == "locked\n"
            yield
            holder.communicate("")
        return
    plain = parsed.render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(plain) as connection:
        connection.execute(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE")
        yield
        connection.rollback()


def tierwise(
    url: str, *args: str, folder: Path, python_path: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run `python -m tierwise ARGS` in `folder` as a user would, in English."""
    inherited = os.environ.get("PYTHONPATH")
    env = {
        **os.environ,
        "TIERWISE_DATABASE_URL": url,
        "TIERWISE_LANG": "en",
        "PYTHONPATH": os.pathsep.join([*python_path, *([inherited] if inherited else [])]),
    }
    command = [sys.executable, "-m", "tierwise", *args]
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)


def refusal(result: subprocess.CompletedProcess[str], code: int) -> str:
    """The one line a failed command printed on stderr, after checking its exit code."""
    assert "Traceback" not in result.stderr + result.stdout, result.stderr
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]
