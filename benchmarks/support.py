"""Helpers shared by the benchmark scripts: wrk, CPU pinning, printing; ``free_port`` and
``wait_until_up`` come from ``safety/server.py``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root, for safety/
from safety.server import free_port, wait_until_up  # noqa: F401  (one home for server helpers)

UNITS_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
# A different (body, age) pair on every request of a run: the age moves on after each pass over the
# bodies, and each wrk thread starts half the age range (365 days) from the last, so no two requests of
# a run share an answer (until a thread has made 365 passes).
VARY_AGE_SETUP = ["local threads = 0", "function setup(thread)",
                  "  thread:set(\"offset\", threads * 365)", "  threads = threads + 1", "end"]
VARY_AGE = (r'  local age = (math.floor((n - 1) / #bodies) + (offset or 0)) % 731'
            "\n"
            r'  body = string.gsub(body, "\"age_days\": %d+", "\"age_days\": " .. age)')


SERVER_CPUS, LOAD_CPUS = "0", "1"


def pinned(cmd: list[str], cpus: str) -> list[str]:
    """``cmd`` run on ``cpus`` only (taskset), when there are two CPUs or more: the server and the
    load generator then do not take turns on one core, and ratios between endpoints hold steadier."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", cpus, *cmd]
    return cmd


def print_figures(figures: dict[str, object], *, as_json: bool = False) -> None:
    if as_json:
        print(json.dumps(figures, indent=2))
        return
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {shown}")


def wrk(url: str, seconds: int, bodies: list[str] | None = None, *,
        content_type: str = "application/json", threads: int = 2, connections: int = 8,
        vary_age: bool = False) -> tuple[float, float]:
    """(requests/s, p99 ms) under wrk's bounded loopback load; with ``bodies``, POSTs them in turn.

    ``vary_age``: every request gets a (body, ``age_days``) pair no other request of the run has, so
    no answer can be reused.
    Any non-2xx response fails the run: error figures would mislead."""
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    script = None
    if bodies:
        lines = [*(VARY_AGE_SETUP if vary_age else []),
                 'wrk.method = "POST"', f'wrk.headers["Content-Type"] = "{content_type}"', "local bodies = {"]
        lines += ["  " + json.dumps(body) + "," for body in bodies]  # JSON strings are Lua strings
        lines += ["}", "local i = 0", "local n = 0", "request = function()", "  i = i % #bodies + 1",
                  "  n = n + 1", "  local body = bodies[i]"]
        if vary_age:
            lines.append(VARY_AGE)
        lines += ["  return wrk.format(nil, nil, nil, body)", "end"]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write("\n".join(lines) + "\n")
        script = handle.name
        cmd += ["-s", script]
    try:
        result = subprocess.run(pinned([*cmd, url], LOAD_CPUS), check=True, capture_output=True, text=True)
    finally:
        if script:
            os.unlink(script)
    out = result.stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"{url}: some responses were errors, so the figures would mislead:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    if not (rps and p99):
        raise RuntimeError(f"could not read wrk's output:\n{out}")
    return float(rps.group(1)), float(p99.group(1)) * UNITS_MS[p99.group(2)]
