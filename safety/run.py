"""``make safety``: the heavier safety checks with fixed budgets, then one summary table.

1. **Properties and fuzzing (Hypothesis):** every test in ``tests/safety`` under the ``safety`` profile
   (``--examples`` random examples per property instead of the small fixed budget of ``make test``).
2. **Schemathesis, live:** every operation of the OpenAPI document of a server on loopback, valid and
   invalid inputs (``--schema-examples`` each), no 5xx, the one error shape, and at most
   ``--request-limit-s`` seconds per request.
3. **Load:** a bounded open-loop load test on loopback (``safety/load.py``): the highest rate that
   keeps p99 within the objective with no errors, then 60% of it held for ``--load-seconds`` seconds.
4. **Abuse and faults (issue 17):** a hung database (``safety/hung.py``); two app processes on one
   PostgreSQL with keyed writes each sent twice (idempotency; nothing lost or duplicated); a soak of
   ``--soak-requests`` long random texts to ``/v1/ask`` with resident memory growing less than 10%
   (``safety/abuse.py``). The fuzzing and load servers run without the per-client rate limits (they
   measure correctness and capacity; the limits have their own tests).

Exits 1 when any part fails. The table is also written as JSON to ``test-output/safety-summary.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "test-output" / "safety-summary.json"


@dataclass
class Row:
    part: str
    budget: str
    inputs: int
    failures: int
    figures: str
    seconds: float

    @property
    def result(self) -> str:
        return "PASS" if self.failures == 0 else "FAIL"


def say(message: str) -> None:
    print(f"safety: {message}", flush=True)


def hypothesis_part(examples: int) -> Row:
    started = time.monotonic()
    env = {**os.environ, "BABYSKIN_HYPOTHESIS_PROFILE": "safety",
           "BABYSKIN_HYPOTHESIS_EXAMPLES": str(examples)}
    cmd = [sys.executable, "-m", "pytest", "tests/safety", "-q", "-p", "no:cacheprovider",
           "--hypothesis-show-statistics", "-o", "addopts="]
    say(f"running tests/safety with {examples} Hypothesis examples per property")
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    out = done.stdout + done.stderr
    tried = sum(int(a) + int(b) for a, b in
                re.findall(r"(\d+) passing(?: examples?)?, (\d+) failing", out))
    counts = {k: int(v) for v, k in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed)", out)}
    failed = counts.get("failed", 0) + counts.get("error", 0) + counts.get("errors", 0)
    if done.returncode != 0:
        log = OUTPUT.with_name("safety-pytest.log")
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(out, encoding="utf-8")
        for line in out.splitlines():
            if line.startswith(("FAILED", "ERROR")) or line.startswith("E       AssertionError"):
                say(line)
        say(f"full pytest output: {log.relative_to(ROOT)}")
        if failed == 0:
            failed = 1
            say(out[-2000:])
    figures = (f"{counts.get('passed', 0)} tests passed, {failed} failed,"
               f" {counts.get('skipped', 0)} skipped")
    return Row("properties + fuzzing (Hypothesis, pytest)", f"{examples} examples/property", tried, failed,
               figures, time.monotonic() - started)


def schemathesis_part(examples: int, limit_s: float) -> Row:
    import httpx
    import schemathesis

    from safety.schema_fuzz import fuzz_schema
    from safety.server import loopback_server

    started = time.monotonic()
    say(f"schemathesis against a live loopback server, {examples} cases per operation and mode")
    with loopback_server(load_nlp=True, env={"BABYSKIN_RATE_LIMITS": "0"}) as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as client:
            token = client.post("/v1/diary/families", json={"name": "fuzz"}).json()["token"]

            def auth(method: str, path: str) -> dict[str, str]:
                if method.lower() == "delete" and path == "/v1/diary/family":
                    fresh = client.post("/v1/diary/families", json={}).json()["token"]
                    return {"Authorization": f"Bearer {fresh}"}
                return {"Authorization": f"Bearer {token}"}

            schema = schemathesis.openapi.from_url(server.base_url + "/openapi.json")
            report = fuzz_schema(schema, examples=examples, auth=auth, time_limit_s=limit_s,
                                 base_url=server.base_url)
        alive = server.process.poll() is None
    for failure in report.failures:
        say(f"schemathesis: {failure}")
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(report.statuses().items()))
    figures = (f"{len(report.operations)} operations; slowest {report.slowest_s * 1e3:.0f} ms;"
               f" statuses {statuses}")
    failures = report.failure_count + (0 if alive else 1)
    return Row("API fuzzing (Schemathesis, live loopback)",
               f"{examples} cases/operation/mode, <= {limit_s:g} s/request", report.tried, failures,
               figures, time.monotonic() - started)


def load_part(seconds: float, slo_p99_ms: float) -> tuple[Row, dict[str, object]]:
    from babyskin.kb.loader import load_kb
    from safety.load import run_load
    from safety.server import loopback_server

    started = time.monotonic()
    with loopback_server(load_nlp=False, env={"BABYSKIN_RATE_LIMITS": "0"}) as server:  # capacity, not limits
        report = run_load(server.base_url, load_kb(), duration_s=seconds, slo_p99_ms=slo_p99_ms,
                          progress=say)
    hold = report.hold
    sent = sum(p.sent for p in report.ramp) + (hold.sent if hold else 0)
    if hold is None:
        row = Row("load (open loop, loopback)", f"ramp then hold {seconds:g} s", sent, 1,
                  "no rate met the objective", time.monotonic() - started)
        return row, {}
    figures = {
        "closed_loop_capacity_rps": round(report.capacity_rps, 1),
        "best_probe_rps": round(report.best_probe_rps, 1),
        "rate_rps": round(hold.target_rps, 1), "achieved_rps": round(hold.achieved_rps, 1),
        "requests": hold.sent, "errors": hold.error_count, "error_rate": hold.error_rate,
        "p50_ms": round(hold.percentile_ms(0.5), 1), "p95_ms": round(hold.percentile_ms(0.95), 1),
        "p99_ms": round(hold.percentile_ms(0.99), 1), "max_ms": round(max(hold.latencies_s) * 1e3, 1),
        "mix": dict(hold.kinds), "errors_by_kind": dict(hold.errors),
        "p99_ms_by_kind": {k: round(hold.percentile_ms(0.99, k), 1) for k in hold.kinds},
        "ramp": [{"rps": round(p.target_rps), "achieved_rps": round(p.achieved_rps),
                  "p99_ms": round(p.percentile_ms(0.99), 1), "errors": p.error_count}
                 for p in report.ramp],
    }
    text = (f"{hold.target_rps:.0f} req/s held {seconds:g} s ({hold.achieved_rps:.0f} achieved);"
            f" errors {hold.error_count}/{hold.sent} ({hold.error_rate:.3%});"
            f" p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms")
    budget = (f"ramp {len(report.ramp)} x 8 s, hold 60% of the best for {seconds:g} s;"
              f" p99 <= {slo_p99_ms:g} ms, errors <= 0.1%")
    row = Row("load (open loop, loopback)", budget, sent, 0 if report.passed else 1, text,
              time.monotonic() - started)
    return row, figures


def soak_part(requests: int, chars: int) -> Row:
    from safety.abuse import soak

    started = time.monotonic()
    say(f"soak: {requests} random texts of {chars} characters to /v1/ask")
    got = soak(requests, chars)
    failures = int(got["errors"]) + (0 if got["growth_pct"] < 10.0 else 1)
    figures = (f"RSS {got['rss_before_mib']:.0f} MiB after warm-up -> {got['rss_after_mib']:.0f} MiB"
               f" ({got['growth_pct']:+.1f}%, limit +10%); {int(got['errors'])} errors;"
               f" {requests / got['seconds']:.1f} asks/s")
    return Row("soak: bounded memory (/v1/ask)", f"{requests} x {chars} chars, RSS < +10%", requests,
               failures, figures, time.monotonic() - started)


def hung_part(clients: int) -> Row:
    from safety.hung import hung_database_run

    started = time.monotonic()
    say(f"hung database: {clients} diary requests against a listener that never answers")
    run = hung_database_run(clients)
    return Row("hung database (accepts, never answers)", f"{clients} concurrent diary requests",
               clients + len(run.other_statuses), run.failures, run.figures(), time.monotonic() - started)


def two_process_parts() -> list[Row]:
    from safety.abuse import two_processes

    started = time.monotonic()
    say("two app processes on one PostgreSQL: concurrent keyed diary writes, each sent twice")
    got = two_processes()
    seconds = time.monotonic() - started
    idem = Row("idempotency (Idempotency-Key, retry to the other process)",
               f"{got['writes']} writes + {got['retries']} retries", got["writes"] + got["retries"],
               got["retry_mismatch"] + got["extra_rows"] + got["duplicated"],
               f"{got['retries']} retries returned the first entry; {got['extra_rows']} extra rows;"
               f" {got['retry_mismatch']} mismatches", seconds)
    both = Row("two app processes, one PostgreSQL", "16 clients over 2 processes",
               got["writes"] + got["retries"], got["failed"] + got["lost"] + got["unseen"],
               f"{got['lost']} lost, {got['duplicated']} duplicated, {got['unseen']} unseen by either"
               f" process, {got['failed']} failed ({got['busy_retries']} fast 503s retried)", seconds)
    return [idem, both]


def print_table(rows: list[Row]) -> None:
    headers = ["part", "budget", "inputs", "failures", "result", "time", "figures"]
    cells = [[r.part, r.budget, str(r.inputs), str(r.failures), r.result, f"{r.seconds:.0f} s", r.figures]
             for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    print(line)
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print(line)
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
    print(line)
    total = sum(r.inputs for r in rows)
    verdict = "no failures" if all(r.failures == 0 for r in rows) else "FAILURES"
    print(f"{total} inputs and requests in all; {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=500, help="Hypothesis examples per property")
    parser.add_argument("--schema-examples", type=int, default=100,
                        help="Schemathesis cases per operation and generation mode")
    parser.add_argument("--request-limit-s", type=float, default=2.0, help="slowest allowed request")
    parser.add_argument("--load-seconds", type=float, default=120.0, help="how long to hold the load")
    parser.add_argument("--slo-p99-ms", type=float, default=500.0, help="p99 latency objective")
    parser.add_argument("--skip", action="append", default=[],
                        choices=["hypothesis", "schema", "load", "soak", "hung", "two"],
                        help="leave a part out (repeatable)")
    parser.add_argument("--soak-requests", type=int, default=5000, help="long random texts for the soak")
    parser.add_argument("--soak-chars", type=int, default=20000, help="characters per soak text")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    load_figures: dict[str, object] = {}
    if "hypothesis" not in args.skip:
        rows.append(hypothesis_part(args.examples))
    if "schema" not in args.skip:
        rows.append(schemathesis_part(args.schema_examples, args.request_limit_s))
    if "load" not in args.skip:
        row, load_figures = load_part(args.load_seconds, args.slo_p99_ms)
        rows.append(row)
    if "hung" not in args.skip:
        rows.append(hung_part(50))
    if "two" not in args.skip:
        rows.extend(two_process_parts())
    if "soak" not in args.skip:
        rows.append(soak_part(args.soak_requests, args.soak_chars))
    print_table(rows)
    if load_figures:
        kinds = ", ".join(f"{k} {v} ms" for k, v in load_figures["p99_ms_by_kind"].items())  # type: ignore[union-attr]
        ramp = ", ".join(f"{r['rps']}: p99 {r['p99_ms']} ms" for r in load_figures["ramp"])  # type: ignore[union-attr]
        print(f"load p99 by request kind: {kinds}")
        print(f"load ramp (req/s): {ramp}")
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps({"rows": [{**asdict(r), "result": r.result} for r in rows],
                                  "load": load_figures}, indent=2) + "\n", encoding="utf-8")
    print(f"summary written to {OUTPUT.relative_to(ROOT)}")
    return 0 if all(r.failures == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
