"""babyskin benchmarks (``make bench``): speed figures, never asserted in tests.

* knowledge-base load time and engine compile time;
* in-process ``assess`` latency p50/p99 over the cases file (structured findings);
* ``babyskin assess`` wall time from a cold start (a fresh process);
* HTTP throughput of ``POST /v1/assess`` against the trivial ``GET /v1/ping`` on the same server,
  measured with wrk over loopback when it is installed (``apt-get install wrk``), else a Python client;
  the assess requests cycle through the cases file's findings (after the first round these are
  answered from the server's answer cache), and again with a different age on every request
  (``assess_uncached_*``: every answer computed afresh).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from support import SERVER_CPUS, free_port, pinned, print_figures, wait_until_up, wrk

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_kb() -> dict[str, float]:
    from babyskin.engine.assess import Engine
    from babyskin.kb.loader import load_kb

    loads, compiles = [], []
    for _ in range(5):
        start = time.perf_counter()
        kb = load_kb()
        loads.append(time.perf_counter() - start)
        start = time.perf_counter()
        _ = Engine(kb).model
        compiles.append(time.perf_counter() - start)
    return {"kb_load_ms": statistics.median(loads) * 1e3,
            "model_compile_ms": statistics.median(compiles) * 1e3}


def bench_assess(cases_file: Path, rounds: int) -> dict[str, float]:
    from babyskin.engine.assess import default_engine
    from babyskin.evaluation import load_cases

    engine = default_engine()
    cases = load_cases(cases_file)
    for case in cases:  # warm up
        engine.assess(case.findings, case.audience)
    times = []
    for _ in range(rounds):
        for case in cases:
            start = time.perf_counter()
            engine.assess(case.findings, case.audience)
            times.append(time.perf_counter() - start)
    return {"assess_p50_ms": percentile(times, 0.5) * 1e3,
            "assess_p99_ms": percentile(times, 0.99) * 1e3, "assess_calls": len(times)}


def bench_cold_start(runs: int = 5) -> dict[str, float]:
    cmd = [str(BIN / "babyskin"), "assess", "--age", "3w", "--where", "nose,cheeks", "--lesion",
           "papule", "--color", "white", "--absent", "fever", "--json"]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return {"cli_cold_start_median_s": statistics.median(times), "cli_cold_start_max_s": max(times)}


def wrk_rps(url: str, seconds: int, bodies: list[dict] | None, unique: bool = False) -> float:
    """Requests/s from wrk (16 connections); ``unique``: a different age on every request."""
    encoded = [json.dumps(b) for b in bodies] if bodies else None
    return wrk(url, seconds, encoded, connections=16, vary_age=unique)[0]


def python_load(url: str, seconds: float, bodies: list[dict] | None, unique: bool = False) -> float:
    import httpx

    done = 0
    deadline = time.monotonic() + seconds
    with httpx.Client() as client:
        while time.monotonic() < deadline:
            body = bodies[done % len(bodies)] if bodies else None
            if body is not None and unique:
                body = {**body, "findings": {**body["findings"], "age_days": done % 731}}
            response = client.post(url, json=body) if body is not None else client.get(url)
            response.raise_for_status()
            done += 1
    return done / seconds


def case_bodies(cases_file: Path) -> list[dict]:
    from babyskin.evaluation import load_cases

    bodies = []
    for case in load_cases(cases_file):
        findings = case.findings.model_dump(mode="json", exclude_defaults=True)
        findings.setdefault("age_days", 30)
        findings.pop("onset_days", None)  # an onset later than a varied age would be refused
        bodies.append({"findings": findings, "audience": case.audience.value})
    return bodies


def bench_http(seconds: int, bodies: list[dict], rounds: int = 3) -> dict[str, float | str]:
    """Ping, cached assess and uncached assess in turn, ``rounds`` times; the medians of each round's
    figures, so that the machine's drift over a minute weighs on both sides of every ratio."""
    port = free_port()
    env = {**os.environ, "BABYSKIN_LOAD_NLP": "0"}
    server = subprocess.Popen(
        pinned([str(BIN / "babyskin"), "serve", "--port", str(port)], SERVER_CPUS), env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/healthz", 180.0)
        have_wrk = subprocess.run(["which", "wrk"], capture_output=True).returncode == 0
        load = wrk_rps if have_wrk else python_load
        load(base + "/v1/ping", 1, None)
        runs = []
        for _ in range(rounds):
            ping = load(base + "/v1/ping", seconds, None)
            assess = load(base + "/v1/assess", seconds, bodies)
            fresh = load(base + "/v1/assess", seconds, bodies, unique=True)
            runs.append((ping, assess, fresh))
        median = statistics.median
        return {"http_tool": ("wrk -t2 -c16" if have_wrk else "python httpx (1 connection)")
                + f", {rounds} rounds" + (", server and load on separate CPUs" if pinned([], "0") else ""),
                "ping_rps": median(r[0] for r in runs), "assess_rps": median(r[1] for r in runs),
                "assess_to_ping_ratio": median(r[1] / r[0] for r in runs),
                "assess_uncached_rps": median(r[2] for r in runs),
                "assess_uncached_to_ping_ratio": median(r[2] / r[0] for r in runs)}
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=Path, default=ROOT.parent / "shared/eval/dev_cases.yaml")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {}
    figures.update(bench_kb())
    figures.update(bench_assess(args.cases, args.rounds))
    figures.update(bench_cold_start())
    figures.update(bench_http(args.seconds, case_bodies(args.cases)))
    figures.update(__import__("web").bench_web(args.seconds, args.cases))  # benchmarks/web.py
    figures.update(__import__("nlp").bench_nlp(args.cases))  # benchmarks/nlp.py
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
