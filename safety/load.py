"""A bounded load test on loopback: find the highest sustainable rate, then hold it.

1. **Calibrate** (closed loop, ``calibrate_s`` seconds): a rough capacity, to start the ramp near it.
2. **Ramp** (open loop): probes of ``probe_s`` seconds at rising rates (40% of that capacity, then
   ×``step`` each time, at most ``max_steps`` probes). A probe passes when it keeps up with its rate,
   nothing fails and the p99 latency stays within ``slo_p99_ms``; the ramp stops at the first probe
   that does not pass.
3. **Hold** (open loop): ``margin`` (60%) of the highest passing rate for ``duration_s`` seconds.

Open loop means requests are sent on a fixed schedule whatever the server does, and each latency is
measured from the request's *scheduled* time, so a server that falls behind shows it in the tail (no
coordinated omission). Requests queue for a fixed number of keep-alive connections, as behind a
proxy; at most ``max_waiting`` may wait, and a request beyond that counts as an error.

The mix is what a busy service sees: mostly ``POST /v1/assess`` with findings that differ on every
request (so no answer is reused), condition pages, health checks, and diary writes and reads spread
over ``families`` families (which exercise the database). A family writes a few entries, not dozens a
minute: listing a child's entries and reviewing an episode cost more as its entries grow, and crowding
all writes onto a few children measures that growth instead of the service (with 100 families, about
25 entries per child after two minutes at 700 req/s, the server fell behind).

Every loop is bounded in count and in time and stops by itself; traffic goes only to the loopback
server it is given. Client and server share the machine's two cores, so the rates are a floor of what
a separate client would measure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from babyskin.kb.loader import KnowledgeBase
from babyskin.models import FindingGroup
from safety.http_client import Connection, HttpError

REQUEST_TIMEOUT_S = 10.0
Request = tuple[str, str, str, dict[str, str] | None, dict[str, Any] | None]
"""(kind, method, path, headers, JSON body)"""


@dataclass
class Phase:
    """One open-loop run at a fixed rate."""

    target_rps: float
    seconds: float
    sent: int = 0
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    kind_latencies_s: dict[str, list[float]] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def error_rate(self) -> float:
        return self.error_count / self.sent if self.sent else 0.0

    @property
    def achieved_rps(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s else 0.0

    def percentile_ms(self, q: float, kind: str | None = None) -> float:
        values = self.latencies_s if kind is None else self.kind_latencies_s.get(kind, [])
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    def meets(self, slo_p99_ms: float, max_error_rate: float) -> bool:
        return (self.sent > 0 and self.error_rate <= max_error_rate
                and self.percentile_ms(0.99) <= slo_p99_ms)


@dataclass
class LoadReport:
    ramp: list[Phase]
    hold: Phase | None
    slo_p99_ms: float
    max_error_rate: float
    connections: int
    capacity_rps: float
    best_probe_rps: float

    @property
    def passed(self) -> bool:
        return self.hold is not None and self.hold.meets(self.slo_p99_ms, self.max_error_rate)


def findings_bodies(kb: KnowledgeBase, count: int, seed: int = 20240601) -> list[dict[str, Any]]:
    """``count`` different, valid assessment bodies drawn from the KB vocabulary (seeded)."""
    rnd = random.Random(seed)
    groups: dict[FindingGroup, list[str]] = {g: [] for g in FindingGroup}
    for word, finding in kb.findings.items():
        groups[finding.group].append(word)
    bodies = []
    for i in range(count):
        signs = rnd.sample(groups[FindingGroup.signs], rnd.randint(0, 4))
        split = rnd.randint(0, len(signs))
        findings = {
            "age_days": i % 731,
            "locations": rnd.sample(groups[FindingGroup.locations], rnd.randint(1, 3)),
            "lesions": rnd.sample(groups[FindingGroup.lesions], rnd.randint(1, 2)),
            "colors": rnd.sample(groups[FindingGroup.colors], rnd.randint(0, 2)),
            "present": signs[:split],
            "absent": signs[split:],
        }
        bodies.append({"findings": findings, "audience": rnd.choice(["parent", "clinician"])})
    return bodies


class Mix:
    """The request mix; diary requests spread over children made before the run (a family writes a
    few entries a day, not thousands)."""

    def __init__(self, kb: KnowledgeBase, diaries: list[tuple[str, int]], seed: int = 7) -> None:
        self.bodies = findings_bodies(kb, 2000)
        self.conditions = sorted(kb.conditions)
        self.diaries = diaries
        self.rnd = random.Random(seed)
        self.n = 0

    def next(self) -> Request:
        self.n += 1
        roll = self.rnd.random()
        if roll < 0.85:
            body = self.bodies[self.n % len(self.bodies)]
            body = {**body, "findings": {**body["findings"], "age_days": self.n % 731}}
            return "assess", "POST", "/v1/assess", None, body
        if roll < 0.92:
            return "condition", "GET", f"/v1/conditions/{self.rnd.choice(self.conditions)}", None, None
        if roll < 0.95:
            return "health", "GET", "/healthz", None, None
        token, child_id = self.diaries[self.n % len(self.diaries)]
        auth = {"Authorization": f"Bearer {token}"}
        if roll < 0.98:
            findings = self.bodies[self.n % len(self.bodies)]["findings"]
            body = {"findings": {k: v for k, v in findings.items() if k != "age_days"},
                    "note": f"load test entry {self.n}"}
            return "diary_write", "POST", f"/v1/diary/children/{child_id}/entries", auth, body
        return "diary_read", "GET", f"/v1/diary/children/{child_id}/entries", auth, None


async def _send(connection: Connection, request: Request) -> str | None:
    """``None`` when the answer is a success, else a short error label."""
    kind, method, path, headers, body = request
    try:
        status, _body = await connection.request(method, path, headers, body)
    except TimeoutError:
        return "timeout"
    except HttpError as exc:
        return f"transport: {exc}"[:80]
    return None if status < 400 else f"HTTP {status} ({kind})"


def prepare_diaries(base_url: str, families: int) -> list[tuple[str, int]]:
    """``families`` families with one child each, for the diary part of the mix: (token, child id)."""
    born = (dt.date.today() - dt.timedelta(days=100)).isoformat()
    out = []
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT_S) as client:
        for i in range(families):
            family = client.post("/v1/diary/families", json={"name": f"load test {i}"})
            family.raise_for_status()
            token = family.json()["token"]
            child = client.post("/v1/diary/children", json={"name": "Load", "birth_date": born},
                                headers={"Authorization": f"Bearer {token}"})
            child.raise_for_status()
            out.append((token, int(child.json()["id"])))
    return out


async def sustain(host: str, port: int, mix: Mix, report: Phase, connections: int,
                  max_waiting: int) -> None:
    """Send ``report.target_rps`` requests a second on a fixed schedule for ``report.seconds``.

    Requests queue for ``connections`` keep-alive connections (as behind a proxy); a request waiting
    for a free connection is still timed from its scheduled moment."""
    rate = report.target_rps
    total = int(rate * report.seconds)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[Request, float] | None] = asyncio.Queue()

    async def worker() -> None:
        connection = Connection(host, port, REQUEST_TIMEOUT_S)
        try:
            while (item := await queue.get()) is not None:
                request, scheduled = item
                error = await _send(connection, request)
                if error is None:
                    report.ok += 1
                    latency = loop.time() - scheduled
                    report.latencies_s.append(latency)
                    report.kind_latencies_s.setdefault(request[0], []).append(latency)
                else:
                    report.errors[error] += 1
        finally:
            await connection.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    start = loop.time()
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        request = mix.next()
        report.sent += 1
        report.kinds[request[0]] += 1
        if queue.qsize() >= max_waiting:
            report.errors["overload: too many requests waiting"] += 1
            continue
        queue.put_nowait((request, scheduled))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.wait(workers, timeout=REQUEST_TIMEOUT_S * 2)
    report.elapsed_s = loop.time() - start


async def calibrate(host: str, port: int, mix: Mix, seconds: float, connections: int) -> float:
    """Completed requests per second with ``connections`` clients sending back to back (closed loop)."""
    done = 0
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        nonlocal done
        connection = Connection(host, port, REQUEST_TIMEOUT_S)
        try:
            while time.monotonic() < deadline:
                if await _send(connection, mix.next()) is None:
                    done += 1
        finally:
            await connection.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return done / (time.monotonic() - started)


def run_load(base_url: str, kb: KnowledgeBase, *, duration_s: float, probe_s: float = 8.0,
             calibrate_s: float = 3.0, step: float = 1.15, max_steps: int = 12, margin: float = 0.6,
             slo_p99_ms: float = 500.0, max_error_rate: float = 0.001, connections: int = 32,
             max_waiting: int = 512, families: int = 500,
             progress: Callable[[str], None] = print) -> LoadReport:
    """Ramp to the highest rate that meets the objective, then hold ``margin`` of it for
    ``duration_s`` seconds (a rate met for a few seconds is not yet a rate sustained for minutes)."""
    mix = Mix(kb, prepare_diaries(base_url, families))
    parsed = urlsplit(base_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80

    def run(rate: float, seconds: float) -> Phase:
        phase = Phase(target_rps=rate, seconds=seconds)
        asyncio.run(sustain(host, port, mix, phase, connections, max_waiting))
        return phase

    capacity = asyncio.run(calibrate(host, port, mix, calibrate_s, connections // 2))
    progress(f"load: closed-loop capacity about {capacity:.0f} req/s; ramping from {0.4 * capacity:.0f}")
    ramp: list[Phase] = []
    rate, best = max(10.0, 0.4 * capacity), None
    while len(ramp) < max_steps:
        probe = run(rate, probe_s)
        ramp.append(probe)
        ok = probe.meets(slo_p99_ms, max_error_rate) and probe.achieved_rps >= 0.97 * rate
        progress(f"load: probe {rate:.0f} req/s for {probe_s:.0f} s: {probe.achieved_rps:.0f} achieved,"
                 f" p99 {probe.percentile_ms(0.99):.0f} ms, {probe.error_count} errors"
                 f" -> {'ok' if ok else 'over the objective'}")
        if not ok:
            break
        best = rate
        rate *= step
    if best is None:
        return LoadReport(ramp, None, slo_p99_ms, max_error_rate, connections, capacity, 0.0)
    held = best * margin
    progress(f"load: highest rate meeting the objective {best:.0f} req/s; holding {held:.0f} req/s"
             f" ({margin:.0%}) for {duration_s:.0f} s")
    hold = run(held, duration_s)
    return LoadReport(ramp, hold, slo_p99_ms, max_error_rate, connections, capacity, best)
