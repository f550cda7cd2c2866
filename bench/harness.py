"""What every benchmark case shares, so that a case file holds only what it measures.

Fresh databases (a PostgreSQL database is dropped only if its name starts with `tierwise_bench_`),
a wait for a quiet machine, steps run each in a process of its own under a time limit, and results
written to bench/results/ (servers for the HTTP cases: bench/serving.py). Only the standard library is imported
here at load time: a step's process pays for what the step itself imports.

A case file defines its steps as functions returning a JSON-able dict, runs them with `run_step`,
and ends with `if __name__ == "__main__": harness.entry(STEPS, main)`: see docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"
PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
BENCH_PREFIX = "tierwise_bench_"


# ---------------------------------------------------------------------------------------------
# Databases


def pg_url(database: str) -> str:
    """The SQLAlchemy URL of a database on the local PostgreSQL server."""
    return f"{PG_SERVER}/{database}"


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def libpq(url: str, database: str | None = None) -> str:
    """A psycopg connection URL from a SQLAlchemy one (optionally for another database)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(False)


def is_sqlite(url: str) -> bool:
    """SQLite URLs are files; everything else here is the PostgreSQL server."""
    return url.startswith("sqlite")


def empty_database(url: str) -> str:
    """No database at `url` any more, then an empty one: SQLite files removed, PostgreSQL recreated."""
    if is_sqlite(url):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return url
    import psycopg
    from psycopg import sql
    from sqlalchemy.engine import make_url

    name = make_url(url).database or ""
    if not name.startswith(BENCH_PREFIX):
        raise SystemExit(
            f"refusing to drop database {name!r}: its name must start with {BENCH_PREFIX}"
        )
    with psycopg.connect(libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url


def fresh_database(url: str) -> str:
    """An empty database migrated to the schema head."""
    from tierwise.db import migrate

    migrate.upgrade(empty_database(url))
    return url


def stop_backends(url: str) -> None:
    """After a step was stopped, its PostgreSQL backend may still run the query: end it."""
    if is_sqlite(url):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (make_url(url).database,),
        )


# ---------------------------------------------------------------------------------------------
# A quiet machine


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, for the log beside each figure."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def log(message: str) -> None:
    """A time-stamped line on stderr, so stdout keeps only the results."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cpu_idle(seconds: float = 1.0) -> float:
    """The share of CPU time the whole machine spent idle over the next `seconds`."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return values[3] + values[4], sum(values)  # idle + iowait, total

    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return (idle1 - idle0) / max(total1 - total0, 1)


def settle(url: str | None = None, max_wait: float | None = None) -> float:
    """Before a timed step: CHECKPOINT, then wait until no autovacuum worker runs and the CPUs
    are at least 90% idle for 3 s in a row (a step right after a bulk load meets a busy server).

    Returns the seconds waited; gives up after `max_wait` seconds, by default 240 or what
    TIERWISE_BENCH_SETTLE_S says (0 for smoke runs on a machine that is never quiet).
    """
    if max_wait is None:
        max_wait = float(os.environ.get("TIERWISE_BENCH_SETTLE_S", "240"))
    started = time.time()
    quiet = 0
    checkpointed = False
    while time.time() - started < max_wait:
        busy = 0
        if url is not None and not is_sqlite(url):
            import psycopg

            with psycopg.connect(libpq(url), autocommit=True) as conn:
                if not checkpointed:
                    conn.execute("CHECKPOINT")
                    checkpointed = True
                found = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                ).fetchone()
                busy = found[0] if found else 0
        quiet = quiet + 1 if busy == 0 and cpu_idle() >= 0.9 else 0
        if quiet >= 3:
            break
    return time.time() - started


# ---------------------------------------------------------------------------------------------
# Measures of this process


def rss_mb() -> float:
    """Peak resident set of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def backend_cpu_s(pid: int | None) -> float:
    """CPU seconds a local PostgreSQL backend has used so far (0 if it is not on this machine)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], share: float) -> float:
    """The value below which `share` of the values fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# ---------------------------------------------------------------------------------------------
# Steps, each in a process of its own: `python CASE.py _step NAME OUT.json ARGS.json`

_STEP_OUT: list[Path] = []


@dataclass(frozen=True)
class Outcome:
    """What a step left in its file, and why it stopped early ("" when it finished)."""

    result: dict[str, Any] | None
    stopped: str = ""
    timed_out: bool = False


def write_json(path: Path, payload: Any, indent: int = 1) -> None:
    """Write JSON whole or not at all, so a reader never sees half a file."""
    tmp = Path(f"{path}.tmp")
    tmp.write_text(json.dumps(payload, indent=indent, default=str))
    tmp.replace(path)


def read_json(path: Path) -> dict[str, Any] | None:
    """A step's or an earlier run's figures; None if there are none (yet)."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def progress(state: dict[str, Any]) -> None:
    """From inside a step: publish what it has so far (a `running` key names the sub-step)."""
    write_json(_STEP_OUT[0], state)


def step_file(script: str | Path, name: str) -> Path:
    """Where step `name` of a case file leaves its figures (and, beside them, its output)."""
    return DATA / f"{Path(script).stem}_step_{name}.json"


def run_step(
    script: str | Path,
    name: str,
    *args: Any,
    timeout: float | None = None,
    limit: float | None = None,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """Run step `name` of a case file in a fresh interpreter and read back its figures."""
    out = step_file(script, name)
    command = [sys.executable, str(script), "_step", name, str(out), json.dumps(args)]
    return run_command(command, out, name, timeout=timeout, limit=limit, env=env)


def run_command(
    command: Sequence[str],
    out: Path,
    name: str,
    *,
    timeout: float | None = None,
    limit: float | None = None,
    env: Mapping[str, str] | None = None,
) -> Outcome:
    """Run a process that writes its figures to `out`; stop it past `timeout` seconds in all, or
    when the sub-step it says is running (its JSON's `running`) has taken over `limit` seconds."""
    DATA.mkdir(exist_ok=True)
    out.unlink(missing_ok=True)
    log_path = out.with_suffix(".log")
    started = time.time()
    with log_path.open("w") as output:
        process = subprocess.Popen(
            list(command),
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        reason = ""
        while process.poll() is None:
            time.sleep(0.1)
            running = (read_json(out) or {}).get("running") if limit else None
            if timeout is not None and time.time() - started > timeout:
                reason = f"{name} did not finish in {timeout:g} s"
            elif running and limit and time.time() - running["since"] > limit:
                reason = f"{name}: step {running['step']!r} passed the {limit:g} s limit"
            if reason:
                _end(process)
    if process.returncode != 0 and not reason:
        tail = log_path.read_text()[-3000:]
        return Outcome(read_json(out), f"{name} failed with exit code {process.returncode}: {tail}")
    return Outcome(read_json(out), reason, timed_out=bool(reason))


def _end(process: subprocess.Popen[Any]) -> None:
    """Stop a process politely, then for good."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def entry(
    steps: Mapping[str, Callable[..., dict[str, Any] | None]],
    main: Callable[[], None] | None = None,
) -> None:
    """A case file's entry point: the step `run_step` started this process for, else `main`."""
    if len(sys.argv) < 5 or sys.argv[1] != "_step":
        if main is None:
            raise SystemExit(f"{sys.argv[0]} holds steps of a case; run the case itself")
        main()
        return
    name, out, args = sys.argv[2], Path(sys.argv[3]), json.loads(sys.argv[4])
    _STEP_OUT.append(out)
    result = steps[name](*args)
    if result is not None:
        write_json(out, result)


# ---------------------------------------------------------------------------------------------
# Results


def markdown_table(headings: Sequence[str], rows: Iterable[Sequence[object]], left: int = 1) -> str:
    """A Markdown table; the first `left` columns aligned left, the others right (numbers)."""
    rule = "|" + "|".join("---" if i < left else "---:" for i in range(len(headings))) + "|"
    lines = ["| " + " | ".join(str(cell) for cell in line) + " |" for line in [headings, *rows]]
    return "\n".join([lines[0], rule, *lines[1:]])


def save_text(name: str, text: str) -> Path:
    """Write a result file in bench/results/."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / name
    path.write_text(text, encoding="utf-8")
    return path


def code_state(folders: Sequence[str]) -> dict[str, Any]:
    """Which code is measured: where tierwise is imported from, its commit, a digest of `folders`.

    Set PYTHONPATH to an exported tree (`git archive`) to measure a fixed version while the
    working tree changes; the digest then says which one ran.
    """
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("tierwise")
    assert spec is not None and spec.submodule_search_locations
    package = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256()
    for folder in folders:
        for file in sorted((package / folder).rglob("*.py")):
            digest.update(file.read_bytes())

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=package, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    stamp = package.parent / "COMMIT"
    return {
        "package": str(package),
        "commit": stamp.read_text().strip()
        if stamp.exists()
        else git("rev-parse", "--short", "HEAD"),
        "changed": git("status", "--short", "--", *folders).splitlines(),
        "digest": digest.hexdigest()[:12],
    }
