"""Web benchmark: the answer page and ``POST /v1/assess`` against the trivial ``GET /v1/ping``.

One server (``babyskin serve`` on a free loopback port), one run, the same bounded load for every
endpoint (wrk: 2 threads, 8 connections, fixed duration), so the ratios cancel out the machine:

* ``answer page``: ``POST /check`` with the finished guided-check trail of each dev case (the page a
  parent sees after the last question: assessment + full HTML render), rotating through the cases;
* ``/v1/assess``: the same cases' findings as JSON;
* ``/ask`` (only when the free-text reader is installed): the cases' typed questions.

Prints requests/s and p99 latency for each, and each as a ratio to ping. Run on its own with
``python benchmarks/web.py [--seconds 5] [--cases FILE] [--json]``; ``make bench`` calls
:func:`bench_web`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

from support import SERVER_CPUS, free_port, pinned, print_figures, wait_until_up
from support import wrk as support_wrk

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
THREADS, CONNECTIONS = 2, 8


def check_trails(cases_file: Path) -> tuple[list[str], list[str], list[str]]:
    """Per dev case: the answer-page form body, the /v1/assess JSON body and the /ask form body."""
    from babyskin.engine.assess import default_engine
    from babyskin.engine.guided import next_step
    from babyskin.evaluation import load_cases
    from babyskin.web import check_flow as flow

    engine = default_engine()
    pages, assess, asks = [], [], []
    for case in load_cases(cases_file):
        truth = case.findings
        age = truth.age_days if truth.age_days is not None else 30
        duration = truth.duration_days if truth.duration_days is not None and truth.duration_days <= age \
            else None
        trail: list[flow.Entry] = [
            ("age", [age, duration]), ("locations", list(truth.locations)),
            ("lesions", list(truth.lesions)), ("colors", list(truth.colors)), ("size", truth.size),
            ("count", truth.count), ("signs", list(truth.present)),
        ]
        while True:
            findings, asked = flow.replay(trail)
            step = next_step(engine, findings, asked, case.audience)
            if step.done or step.question is None:
                break
            word = step.question.finding
            answer = "yes" if word in truth.present else "no" if word in truth.absent else "not_sure"
            trail.append(("q", [word, answer]))
        form = {"trail": flow.dump_trail(trail), "action": "show", "audience": case.audience.value}
        pages.append(urlencode(form))
        assess.append(json.dumps({"findings": findings.model_dump(mode="json", exclude_defaults=True),
                                  "audience": case.audience.value}))
        if case.question:
            asks.append(urlencode({"q": case.question, "audience": case.audience.value}))
    return pages, assess, asks


def wrk(url: str, seconds: int, bodies: list[str] | None = None,
        content_type: str = "application/x-www-form-urlencoded") -> tuple[float, float]:
    return support_wrk(url, seconds, bodies, content_type=content_type, threads=THREADS,
                       connections=CONNECTIONS)


def reader_installed() -> bool:
    try:
        import babyskin.understand  # noqa: F401
    except ImportError:
        return False
    return True


def bench_web(seconds: int = 5, cases_file: Path | None = None) -> dict[str, float | str]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk")
    cases_file = cases_file or ROOT.parent / "shared/eval/dev_cases.yaml"
    pages, assess_bodies, asks = check_trails(cases_file)
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "BABYSKIN_DATABASE_URL": f"sqlite:///{folder}/bench.db"}
        server = subprocess.Popen(pinned([str(BIN / "babyskin"), "serve", "--port", str(port)], SERVER_CPUS),
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base + "/healthz", 180.0)
            wrk(base + "/v1/ping", 1)  # warm up
            wrk(base + "/check", 1, pages)
            ping_rps, ping_p99 = wrk(base + "/v1/ping", seconds)
            figures: dict[str, float | str] = {
                "web_load": f"wrk -t{THREADS} -c{CONNECTIONS} -d{seconds}s, {len(pages)} cases",
                "web_ping_rps": ping_rps, "web_ping_p99_ms": ping_p99,
            }
            targets = [("answer_page", "/check", pages, "application/x-www-form-urlencoded"),
                       ("assess_api", "/v1/assess", assess_bodies, "application/json")]
            if asks and reader_installed():
                targets.append(("ask_page", "/ask", asks, "application/x-www-form-urlencoded"))
            for name, path, bodies, content_type in targets:
                rps, p99 = wrk(base + path, seconds, bodies, content_type)
                figures[f"web_{name}_rps"] = rps
                figures[f"web_{name}_p99_ms"] = p99
                figures[f"web_{name}_rps_to_ping"] = rps / ping_rps
                figures[f"web_{name}_p99_to_ping"] = p99 / ping_p99
            return figures
        finally:
            server.terminate()
            server.wait(timeout=15)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--cases", type=Path, default=ROOT.parent / "shared/eval/dev_cases.yaml")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = bench_web(args.seconds, args.cases)
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
