"""Tierwise served in processes of its own, for the cases that measure it over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def serve(
    command: Sequence[str], env: Mapping[str, str], port: int, output: Path, wait: float = 60
) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server in its own process group and wait until its health endpoint answers."""
    import httpx2 as httpx

    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w") as handle:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=dict(env),
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Uvicorn's workers end with it
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit(f"the server did not start: {output.read_text()[-2000:]}")


def uvicorn(workers: int) -> list[str]:
    """The command serving Tierwise with Uvicorn's own worker processes."""
    factory = ["-m", "uvicorn", "--factory", "tierwise.server:from_environment"]
    return [sys.executable, *factory, "--workers", str(workers), "--log-level", "warning"]


def stop_server(process: subprocess.Popen[bytes], crash: bool = False) -> None:
    """Stop a server and its workers: politely, or with `crash` as a power cut would (SIGKILL)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL if crash else signal.SIGTERM)
    process.wait()
