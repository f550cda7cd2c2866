"""Colleagues at work on one server: concurrent clients mixing reads and writes, and what they saw.

Each client keeps what the server acknowledged (logged contacts, the last name it set on each of its
own customers) so that afterwards the database can be checked for every acknowledged write.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2 as httpx
from sqlalchemy import create_engine, text

PASSWORD = "tierwise-demo"


@dataclass
class Tally:
    """What every client saw: answers per endpoint, their times, and the writes acknowledged."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[str] = field(default_factory=list)
    memos: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, endpoint: str, status: int, seconds: float, detail: str = "") -> None:
        """Count one answer; a 5xx or a dropped connection is a failure."""
        with self.lock:
            self.statuses[(endpoint, status)] += 1
            self.seconds[endpoint].append(seconds)
            if status >= 500 or status == 0:
                self.failures.append(f"{endpoint} → {status} {detail[:200]}")

    @property
    def requests(self) -> int:
        """How many requests were answered or dropped in all."""
        return sum(self.statuses.values())


def signed_in(base_url: str, username: str) -> httpx.Client:
    """A client holding a demo user's session and CSRF token."""
    client = httpx.Client(base_url=base_url, timeout=120)
    answer = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    answer.raise_for_status()
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def visible_codes(client: httpx.Client, limit: int = 200) -> list[str]:
    """Codes of customers the client's user may see and change."""
    answer = client.get("/api/v1/customers", params={"limit": limit})
    answer.raise_for_status()
    return [item["code"] for item in answer.json()["items"]]


class Worker:
    """One colleague: a signed-in client doing a mix of the day's requests on its own customers."""

    def __init__(self, number: int, client: httpx.Client, codes: list[str], tally: Tally) -> None:
        self.number, self.client, self.codes, self.tally = number, client, codes, tally
        self.sequence = itertools.count()
        self.mix: list[Callable[[str], None]] = [
            self.list_customers,
            self.read_customer,
            self.rename,
            self.log_contact,
            self.read_customer,
            self.distribution,
            self.dashboard,
            self.log_contact,
        ]

    def call(
        self, endpoint: str, method: str, path: str, **kwargs: object
    ) -> httpx.Response | None:
        """One request, timed and counted; None when the connection failed."""
        started = time.perf_counter()
        try:
            answer = self.client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError as exc:
            self.tally.note(endpoint, 0, time.perf_counter() - started, repr(exc))
            return None
        self.tally.note(endpoint, answer.status_code, time.perf_counter() - started, answer.text)
        return answer

    def list_customers(self, _code: str) -> None:
        self.call("GET /customers", "GET", "/api/v1/customers", params={"limit": 50})

    def read_customer(self, code: str) -> None:
        self.call("GET /customers/{code}", "GET", f"/api/v1/customers/{code}")

    def distribution(self, _code: str) -> None:
        self.call("GET /tiers/distribution", "GET", "/api/v1/tiers/distribution")

    def dashboard(self, _code: str) -> None:
        self.call("GET / (dashboard)", "GET", "/")

    def rename(self, code: str) -> None:
        current = self.call("GET /customers/{code}", "GET", f"/api/v1/customers/{code}")
        if current is None or current.status_code != 200:
            return
        name = f"Soak {self.number}-{next(self.sequence)} Co."
        changed = self.call(
            "PATCH /customers/{code}",
            "PATCH",
            f"/api/v1/customers/{code}",
            json={"name": name},
            headers={"If-Match": current.headers["ETag"]},
        )
        if changed is not None and changed.status_code == 200:
            with self.tally.lock:
                self.tally.names[code] = name

    def log_contact(self, code: str) -> None:
        memo = f"soak {self.number}-{next(self.sequence)}"
        logged = self.call(
            "POST /customers/{code}/interactions",
            "POST",
            f"/api/v1/customers/{code}/interactions",
            json={
                "occurred_at": "2026-11-02T10:00:00+08:00",
                "channel": "phone",
                "direction": "outbound",
                "memo": memo,
            },
        )
        if logged is not None and logged.status_code == 201:
            with self.tally.lock:
                self.tally.memos.add(memo)

    def run(self, until: float, max_requests: int) -> None:
        """Work through the mix until the time is up or the count is reached."""
        for step in itertools.count():
            if time.monotonic() >= until or step >= max_requests:
                return
            self.mix[step % len(self.mix)](self.codes[step % len(self.codes)])


def run_clients(
    base_url: str,
    clients: int,
    seconds: float,
    max_requests: int = 10_000,
    users: tuple[str, ...] = ("manager",),
) -> Tally:
    """`clients` colleagues at once for `seconds`, each renaming only customers of its own."""
    tally = Tally()
    sessions = [signed_in(base_url, users[n % len(users)]) for n in range(clients)]
    codes = visible_codes(sessions[0])
    workers = [
        Worker(n, session, codes[n::clients] or codes[:1], tally)
        for n, session in enumerate(sessions)
    ]
    until = time.monotonic() + seconds
    threads = [threading.Thread(target=w.run, args=(until, max_requests)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for session in sessions:
        session.close()
    return tally


def lost_writes(url: str, tally: Tally) -> list[str]:
    """Acknowledged writes the database does not hold (or holds with another value)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            memos = {
                memo
                for (memo,) in connection.execute(
                    text("SELECT memo FROM interactions WHERE memo LIKE 'soak %'")
                )
            }
            names = dict(connection.execute(text("SELECT code, name FROM customers")).all())
    finally:
        engine.dispose()
    lost = [f"contact {memo!r}" for memo in sorted(tally.memos - memos)]
    lost += [
        f"{code}: name {names.get(code)!r}, acknowledged {name!r}"
        for code, name in sorted(tally.names.items())
        if names.get(code) != name
    ]
    return lost
