"""Diary benchmarks: writes and reads per second on SQLite and PostgreSQL (figures printed, never asserted).

Run: ``.venv/bin/python benchmarks/diary.py [--seconds 5] [--postgres-url URL]``. PostgreSQL figures need
a server (``scripts/ensure-postgres.sh``); the benchmark works in a scratch database it drops after.

1. **Store, in process** (``DiaryStore``, one thread): saving an already-assessed entry, reading one
   entry back, and listing a child's 20 entries; plus ``Diary.add_entry`` (assess, save, review).
2. **HTTP** (``babyskin serve`` processes, loaded with wrk over loopback, or a Python client when wrk
   is not installed): ``POST /v1/diary/children/{id}/entries`` (assess + save + episode review) and
   ``GET /v1/diary/entries/{id}``, spread over 8 families with 8 children each, on
   one instance on SQLite, one on PostgreSQL, and two instances on one PostgreSQL (scale-out: both
   instances loaded at once, figures summed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from support import free_port, wait_until_up  # noqa: E402  (the shared server helpers of the benchmarks)

BORN = dt.date.today() - dt.timedelta(days=40)
MILIA = {"locations": ["nose", "cheeks"], "lesions": ["papule"], "colors": ["white"], "size": "pinpoint",
         "count": "many", "absent": ["itchy", "fever"]}
FAMILIES, CHILDREN = 8, 8


def rate(work: Callable[[int], object], seconds: float) -> float:
    """Calls per second of ``work(i)`` for about ``seconds``."""
    done, deadline = 0, time.perf_counter() + seconds
    start = time.perf_counter()
    while time.perf_counter() < deadline:
        work(done)
        done += 1
    return done / (time.perf_counter() - start)


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str | None]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    name = f"babyskin_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as error:
        print(f"PostgreSQL not available ({str(error.orig).strip()}); PostgreSQL figures skipped")
        yield None
        return
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_store(url: str, seconds: float) -> dict[str, float]:
    from babyskin.answer.render import assessment_json
    from babyskin.engine.assess import default_engine
    from babyskin.models import Findings
    from babyskin.store.records import NewChild, NewEntry
    from babyskin.store.repository import DiaryStore
    from babyskin.store.service import Diary, EntryDraft

    engine = default_engine()
    store = DiaryStore(url)
    store.migrate()
    family = store.cli_family(f"bench-{uuid.uuid4().hex[:6]}")
    findings = Findings(age_days=19, **MILIA)
    result = engine.assess(findings)
    entry = NewEntry(episode="main", on=BORN + dt.timedelta(days=19), text="tiny white bumps on her nose",
                     note=None, findings=findings, assessment=assessment_json(result),
                     kb_version=result.kb_version, leading=result.differential[0].id, triage="home")
    children = [store.add_child(family.id, NewChild(name=f"child {i}", birth_date=BORN)).id
                for i in range(50)]
    saved: list[int] = []
    writes = rate(lambda i: saved.append(store.add_entry(family.id, children[i % 50], entry)[1].id), seconds)
    reads = rate(lambda i: store.get_entry(family.id, saved[i % len(saved)]), seconds)
    listed = store.add_child(family.id, NewChild(name="twenty", birth_date=BORN)).id
    for _ in range(20):
        store.add_entry(family.id, listed, entry)
    lists = rate(lambda i: store.list_entries(family.id, listed), seconds)
    diary = Diary(store, engine)
    draft = EntryDraft(on=BORN + dt.timedelta(days=19), findings=Findings(**MILIA))
    adds = rate(lambda i: diary.add_entry(family.id, children[i % 50], draft), seconds)
    store.close()
    return {"store_writes_per_s": writes, "store_reads_per_s": reads, "list_20_per_s": lists,
            "assessed_adds_per_s": adds}


@contextmanager
def servers(url: str, count: int) -> Iterator[list[str]]:
    env = {**os.environ, "BABYSKIN_LOAD_NLP": "0", "BABYSKIN_DATABASE_URL": url}
    procs, bases = [], []
    try:
        for _ in range(count):
            port = free_port()
            procs.append(subprocess.Popen([str(BIN / "babyskin"), "serve", "--port", str(port)], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            wait_until_up(base + "/healthz", 180.0)
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=10)


def seed(base: str) -> list[tuple[str, list[int], list[int]]]:
    """Families, each with its token, children and one entry per child."""
    import httpx

    out = []
    with httpx.Client(base_url=base) as client:
        for f in range(FAMILIES):
            token = client.post("/v1/diary/families", json={"name": f"bench {f}"}).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            kids, entries = [], []
            for c in range(CHILDREN):
                kid = client.post("/v1/diary/children", headers=auth,
                                  json={"name": f"child {c}", "birth_date": BORN.isoformat()}).json()["id"]
                body = {"on": (BORN + dt.timedelta(days=19)).isoformat(), "findings": MILIA}
                entry = client.post(f"/v1/diary/children/{kid}/entries", headers=auth, json=body).json()
                kids.append(kid)
                entries.append(entry["entry"]["id"])
            out.append((token, kids, entries))
    return out


def lua_script(families: list[tuple[str, list[int], list[int]]], write: bool) -> str:
    body = json.dumps({"on": (BORN + dt.timedelta(days=19)).isoformat(), "findings": MILIA})
    targets = [(token, f"/v1/diary/children/{kid}/entries" if write else f"/v1/diary/entries/{entry}")
               for token, kids, entries in families for kid, entry in zip(kids, entries, strict=True)]
    lines = [f'wrk.method = "{"POST" if write else "GET"}"',
             'wrk.headers["Content-Type"] = "application/json"', "local targets = {"]
    lines += [f'  {{"Bearer {token}", "{path}"}},' for token, path in targets]
    lines += ["}", "local i = 0", "request = function()", "  i = i % #targets + 1",
              '  wrk.headers["Authorization"] = targets[i][1]',
              f"  return wrk.format(nil, targets[i][2], nil, {json.dumps(body) if write else 'nil'})", "end",
              "response = function(status, headers, body)",
              '  if status >= 300 then io.write("FAILED " .. status .. " " .. body .. "\\n") end', "end"]
    return "\n".join(lines) + "\n"


def load(bases: list[str], families: list, write: bool, seconds: int) -> float:
    """Requests/s summed over ``bases``, all loaded at the same time."""
    if shutil.which("wrk") is None:
        return python_load(bases, families, write, seconds)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua_script(families, write))
    try:
        command = ["wrk", "-t1", "-c8", "--timeout", "10s", f"-d{seconds}s", "-s", handle.name]
        runs = [subprocess.Popen([*command, base], stdout=subprocess.PIPE, text=True) for base in bases]
        total = 0.0
        for run in runs:
            output = run.communicate()[0]
            failed = [line for line in output.splitlines() if line.startswith("FAILED")]
            if failed:
                print(f"  {len(failed)} failed requests, e.g. {failed[0][:300]}", file=sys.stderr)
            total += float(next(line.split()[1] for line in output.splitlines()
                                if line.startswith("Requests/sec:")))
        return total
    finally:
        os.unlink(handle.name)


def python_load(bases: list[str], families: list, write: bool, seconds: int) -> float:
    import httpx

    done = 0
    body = {"on": (BORN + dt.timedelta(days=19)).isoformat(), "findings": MILIA}
    clients = [httpx.Client(base_url=b) for b in bases]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        token, kids, entries = families[done % len(families)]
        client, auth = clients[done % len(clients)], {"Authorization": f"Bearer {token}"}
        k = (done // len(families)) % len(kids)
        response = (client.post(f"/v1/diary/children/{kids[k]}/entries", json=body, headers=auth) if write
                    else client.get(f"/v1/diary/entries/{entries[k]}", headers=auth))
        response.raise_for_status()
        done += 1
    for client in clients:
        client.close()
    return done / seconds


def bench_http(url: str, instances: int, seconds: int) -> dict[str, float]:
    with servers(url, instances) as bases:
        families = seed(bases[0])
        load(bases, families, False, 1)  # warm up
        reads = load(bases, families, False, seconds)
        writes = load(bases, families, True, seconds)
    return {"http_writes_per_s": writes, "http_reads_per_s": reads}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "BABYSKIN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON only.")
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder, postgres_database(args.postgres_url) as pg:
        sqlite = f"sqlite:///{Path(folder) / 'diary.db'}"
        figures["sqlite_store"] = bench_store(sqlite, args.seconds / 2)
        http_db = f"sqlite:///{Path(folder) / 'http.db'}"
        figures["sqlite_http_1_instance"] = bench_http(http_db, 1, args.seconds)
        if pg:
            figures["postgres_store"] = bench_store(pg, args.seconds / 2)
            figures["postgres_http_1_instance"] = bench_http(pg, 1, args.seconds)
            figures["postgres_http_2_instances"] = bench_http(pg, 2, args.seconds)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    tool = "wrk, 8 connections per instance" if shutil.which("wrk") else "Python client, 1 connection"
    print(f"babyskin diary benchmark ({os.cpu_count()} CPUs; HTTP load: {tool}; {args.seconds} s each)")
    for name, values in figures.items():
        print(f"  {name:28s} " + "  ".join(f"{k} {v:8.1f}" for k, v in values.items()))


if __name__ == "__main__":
    main()
