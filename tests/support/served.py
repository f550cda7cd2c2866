"""`tierwise serve` and the CLI as real processes on one database, for durability and load tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx

TIERWISE = str(Path(sys.executable).with_name("tierwise"))


def environment(url: str) -> dict[str, str]:
    """The variables a Tierwise process needs to work on `url` in demo mode."""
    return {**os.environ, "TIERWISE_DATABASE_URL": url, "TIERWISE_DEMO": "1", "TIERWISE_LANG": "en"}


def sqlite_url(database: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{database}"


def run_cli(url: str, *arguments: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run one `tierwise` command in a process of its own and wait for it."""
    return subprocess.run(
        [TIERWISE, *arguments],
        env=environment(url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class Served:
    """A running `tierwise serve` process and where it answers."""

    process: subprocess.Popen[str]
    base_url: str
    url: str
    log: Path

    def kill(self) -> int:
        """End the server at once, as a crash or `kill -9` would: nothing gets to clean up."""
        self.process.kill()
        return self.process.wait()

    def stop(self) -> int:
        """Stop the server the way Ctrl-C does and return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(url: str, log: Path) -> Iterator[Served]:
    """Start `tierwise serve` on the database and wait until it answers; stop it afterwards."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen(
            [TIERWISE, "serve", "--port", str(port)],
            env=environment(url),
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    served = Served(process, f"http://127.0.0.1:{port}", url, log)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"tierwise serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{served.base_url}/api/v1/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            served.stop()
            raise RuntimeError(f"tierwise serve did not answer: {log.read_text()}")
        time.sleep(0.2)
    try:
        yield served
    finally:
        served.stop()
