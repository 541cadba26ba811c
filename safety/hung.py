"""A database that hangs: a listener that accepts connections and never answers (issue 17, finding 2).

:func:`hung_database_run` starts ``babyskin serve`` on such a database, sends ``diary_clients``
concurrent diary requests (any token string will do), and while they wait asks ``/healthz``, the home
page, a condition page and ``/v1/ask``. It returns what came back: every diary request must get an
answer (503, with the generic body), and every other request must answer 200 while the diary waits.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

import httpx

from safety.server import loopback_server

OTHER_PATHS = ("/healthz", "/", "/conditions/milia")
SECRET_PARTS = ("psycopg", "postgres@", "127.0.0.1", "babyskin_hung")


@contextmanager
def hung_listener() -> Iterator[int]:
    """A loopback port that accepts TCP connections and never sends a byte; yields the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)  # kept open, never read from or written to

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        with suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        for conn in held:
            with suppress(OSError):
                conn.close()


@dataclass
class HungRun:
    diary_statuses: list[int] = field(default_factory=list)
    diary_bodies_leaking: int = 0
    diary_seconds: list[float] = field(default_factory=list)
    other_statuses: dict[str, int] = field(default_factory=dict)
    other_seconds: dict[str, float] = field(default_factory=dict)
    other_while_waiting: int = 0

    @property
    def failures(self) -> int:
        bad = sum(1 for s in self.diary_statuses if s != 503) + self.diary_bodies_leaking
        bad += sum(1 for s in self.other_statuses.values() if s != 200)
        return bad

    def figures(self) -> str:
        return (f"{len(self.diary_statuses)} diary requests all answered"
                f" ({self.diary_statuses.count(503)} x 503, slowest {max(self.diary_seconds):.1f} s);"
                f" /healthz, home, condition page, /v1/ask while the diary waits: slowest"
                f" {max(self.other_seconds.values()):.2f} s")


def _diary_call(base: str, index: int) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        response = httpx.get(f"{base}/v1/diary/family", headers={"Authorization": f"Bearer any-{index}"},
                             timeout=60.0)
        return response.status_code, response.text, time.monotonic() - started
    except httpx.HTTPError as error:
        return 0, type(error).__name__, time.monotonic() - started


def hung_database_run(diary_clients: int = 50, *, load_nlp: bool = True) -> HungRun:
    run = HungRun()
    with hung_listener() as port:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/babyskin_hung"
        with loopback_server(load_nlp=load_nlp, database_url=url) as server, \
                ThreadPoolExecutor(diary_clients) as pool:
            futures = [pool.submit(_diary_call, server.base_url, i) for i in range(diary_clients)]
            time.sleep(0.5)  # let the diary requests reach the database
            with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
                for path in OTHER_PATHS:
                    started = time.monotonic()
                    run.other_statuses[path] = client.get(path).status_code
                    run.other_seconds[path] = time.monotonic() - started
                run.other_while_waiting = sum(1 for f in futures if not f.done())
                started = time.monotonic()
                ask = client.post("/v1/ask", json={"text": "small white spots on the nose, 3 weeks old"})
                run.other_statuses["/v1/ask"] = ask.status_code
                run.other_seconds["/v1/ask"] = time.monotonic() - started
            for future in futures:
                status, text, seconds = future.result()
                run.diary_statuses.append(status)
                run.diary_seconds.append(seconds)
                if any(part in text for part in SECRET_PARTS):
                    run.diary_bodies_leaking += 1
    return run
