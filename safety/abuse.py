"""``make safety`` parts for issue 17 (hold under abuse and faults), each returning figures:

* **soak**: ``--soak-requests`` long random texts to ``/v1/ask``; resident memory after them must be
  less than 10% above the figure after a warm-up (the reader must keep no per-request state);
* **hung database**: :mod:`safety.hung` (50 diary requests against a database that never answers);
* **idempotency** and **two processes**: two app processes on one scratch PostgreSQL database,
  concurrent diary writes spread over both, every write sent twice with one ``Idempotency-Key`` (the
  retry to the *other* process), reads through both: nothing lost or duplicated, each process sees
  the other's writes.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import httpx

from safety.server import loopback_server

POSTGRES_ADMIN_URL = os.environ.get(
    "BABYSKIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NO_LIMITS = {"BABYSKIN_RATE_LIMITS": "0"}  # these parts measure memory and data, not the rate limits
WORDS_TEXT = ("rash spots red bumps itchy dry baby nose cheek fever days weeks small white blister crusty"
              " patch ring scaly oozing yellow arm leg nappy face scalp tummy back neck hand foot")
WORDS = tuple(WORDS_TEXT.split())


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def random_text(rnd: random.Random, chars: int) -> str:
    """Mostly made-up words (new to the reader every time), with some real ones between them."""
    out: list[str] = []
    size = 0
    while size < chars:
        word = rnd.choice(WORDS) if rnd.random() < 0.3 else "".join(
            rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(3, 12)))
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:chars]


def soak(requests: int, chars: int, *, warmup: int = 100, clients: int = 4,
         seed: int = 17) -> dict[str, float]:
    with loopback_server(load_nlp=True, env=NO_LIMITS) as server:
        pid = server.process.pid
        errors = 0

        def send(i: int) -> int:
            body = {"text": random_text(random.Random(seed * 1_000_003 + i), chars)}  # new words each time
            for _ in range(50):  # a full text pool answers 503 with Retry-After: wait and resend
                response = httpx.post(server.base_url + "/v1/ask", json=body, timeout=120)
                if response.status_code != 503:
                    return response.status_code
                time.sleep(0.2)
            return response.status_code

        with ThreadPoolExecutor(clients) as pool:
            errors += sum(1 for s in pool.map(send, range(warmup)) if s != 200)
            before = rss_kib(pid)
            started = time.monotonic()
            errors += sum(1 for s in pool.map(send, range(warmup, warmup + requests)) if s != 200)
            seconds = time.monotonic() - started
        after = rss_kib(pid)
    return {"requests": requests, "chars": chars, "rss_before_mib": before / 1024,
            "rss_after_mib": after / 1024, "growth_pct": 100.0 * (after - before) / before,
            "errors": errors, "seconds": seconds}


@contextmanager
def scratch_postgres() -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"babyskin_safety_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def two_processes(families: int = 8, entries_per_family: int = 25, clients: int = 16) -> dict[str, int]:
    """Concurrent keyed writes over two app processes on one PostgreSQL, each sent twice."""
    born = (dt.date.today() - dt.timedelta(days=90)).isoformat()
    entry = {"findings": {"locations": ["nose"], "lesions": ["papule"], "colors": ["white"]}}
    env = {**NO_LIMITS, "BABYSKIN_SECRET_KEY": uuid.uuid4().hex * 2}
    with scratch_postgres() as url, ExitStack() as stack:
        servers = [stack.enter_context(loopback_server(load_nlp=False, database_url=url, env=env))
                   for _ in range(2)]
        bases = [s.base_url for s in servers]
        diaries = []
        for i in range(families):
            token = httpx.post(bases[i % 2] + "/v1/diary/families", json={"name": f"f{i}"}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            child = httpx.post(bases[(i + 1) % 2] + "/v1/diary/children", headers=auth,
                               json={"name": "Kit", "birth_date": born}, timeout=30).json()["id"]
            diaries.append((auth, child))
        jobs = [(f, n) for f in range(families) for n in range(entries_per_family)]
        busy = [0]

        def write(job: tuple[int, int]) -> tuple[int, int, int, int]:
            f, n = job
            auth, child = diaries[f]
            keyed = {**auth, "Idempotency-Key": f"job-{f}-{n}"}
            path = f"/v1/diary/children/{child}/entries"
            first = send(bases[n % 2] + path, keyed)
            retry = send(bases[(n + 1) % 2] + path, keyed)  # the reply "was lost": the same write again
            ids = [r.json()["entry"]["id"] if r.status_code == 201 else -1 for r in (first, retry)]
            return first.status_code, retry.status_code, ids[0], ids[1]

        def send(url: str, headers: dict[str, str]) -> httpx.Response:
            for _ in range(30):  # a fast 503 (busy) is retried with the same key, as a client should
                response = httpx.post(url, json=entry, headers=headers, timeout=60)
                if response.status_code != 503:
                    return response
                busy[0] += 1
                time.sleep(0.1)
            return response

        with ThreadPoolExecutor(clients) as pool:
            results = list(pool.map(write, jobs))
        failed = sum(1 for a, b, _, _ in results if a != 201 or b != 201)
        mismatched = sum(1 for _, _, i, j in results if i != j)
        acknowledged = {i for a, _, i, _ in results if a == 201}
        lost = extra = duplicated = unseen = 0
        for auth, child in diaries:
            for base in bases:  # each process must see every write, including the other's
                listed = httpx.get(f"{base}/v1/diary/children/{child}/entries", headers=auth,
                                   timeout=60).json()
                ids = [e["id"] for e in listed]
                duplicated += len(ids) - len(set(ids))
                unseen += len(acknowledged & set(ids)) != len(ids)
                lost += max(0, entries_per_family - len(set(ids)))
                extra += max(0, len(set(ids)) - entries_per_family)
    return {"writes": len(jobs), "retries": len(jobs), "failed": failed, "retry_mismatch": mismatched,
            "lost": lost, "extra_rows": extra, "duplicated": duplicated, "unseen": unseen,
            "busy_retries": busy[0]}
