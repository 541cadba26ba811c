"""Text benchmarks: ``ask`` against the bare medspaCy pipeline on the same text, start-up, server memory,
and the text evaluation.

* latency: per question, in-process and warm, p50/p99 of the whole ``ask`` (read + assess + compose the
  answer from the KB) and of the bare medspaCy pipeline (``medspacy.load()``: PyRuSH sentences,
  TargetMatcher, ConText with its default rules) on the same texts; the ratio of the p50s (target <= 3);
* start-up: a fresh process that loads the NLP pipeline, the reader's word lists and the bm25 index,
  against a fresh process that runs ``medspacy.load()`` once (median of 3);
* memory: resident set of ``babyskin serve`` with the NLP pipeline loaded, after a few ``/v1/ask``
  (target < 400 MB), and without it;
* long texts: the reader on a parent's message repeated to 1k, 10k and 100k characters (time per
  1,000 characters at each size: flat when time grows linearly), and the string-store growth over
  them (0 when the reader's vocabulary stays fixed);
* eval: ``babyskin eval FILE --text`` against the structured run (top-1, triage, under-triage,
  extraction precision and recall).

Run on its own with ``python benchmarks/nlp.py [--cases FILE] [--rounds N] [--json]``; ``make bench``
calls :func:`bench_nlp`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from support import free_port, print_figures

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SEED = "What is the cause and treatment of small fine bumps on a baby's skin?"
EXTRA = [SEED, "what causes milia?", "is baby acne contagious?", "milia or baby acne?",
         "my 3 week old has tiny white bumps on her nose, no fever", "purpel spots that wont fade"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def questions(cases_file: Path) -> list[str]:
    from babyskin.evaluation import load_cases

    return [c.question for c in load_cases(cases_file) if c.question] + EXTRA


def bare_pipeline():
    import medspacy

    try:
        from loguru import logger

        logger.disable("PyRuSH")  # PyRuSH logs every token at DEBUG level
    except ImportError:
        pass
    return medspacy.load()


def bench_latency(texts: list[str], rounds: int) -> dict[str, float]:
    from babyskin.answer.ask import answer_text, warm_up
    from babyskin.engine.assess import default_engine
    from babyskin.understand import understand_text

    engine = default_engine()
    warm_up(engine.kb)
    bare = bare_pipeline()
    for text in texts:
        bare(text)
        answer_text(text, engine=engine)
    timings: dict[str, list[float]] = {"bare": [], "read": [], "ask": []}
    for _ in range(rounds):
        for text in texts:
            for name, run in (("bare", lambda t=text: bare(t)),
                              ("read", lambda t=text: understand_text(t, kb=engine.kb)),
                              ("ask", lambda t=text: answer_text(t, engine=engine))):
                start = time.perf_counter()
                run()
                timings[name].append(time.perf_counter() - start)
    out: dict[str, float] = {"nlp_questions": float(len(texts)), "nlp_calls_each": float(len(timings["ask"]))}
    for name, values in timings.items():
        out[f"{name}_p50_ms"] = percentile(values, 0.5) * 1e3
        out[f"{name}_p99_ms"] = percentile(values, 0.99) * 1e3
    out["ask_to_bare_p50_ratio"] = out["ask_p50_ms"] / out["bare_p50_ms"]
    out["read_to_bare_p50_ratio"] = out["read_p50_ms"] / out["bare_p50_ms"]
    return out


LONG_SIZES = (1_000, 10_000, 100_000)
LONG_TEXT = ("My 9 month old came out in hives after trying egg. They are raised welts on his tummy and arms,"
             " they move around and are very itchy, no fever. Zorblat quimbish {n} nothing else. ")


def bench_long(rounds: int = 3) -> dict[str, float]:
    """Reader time per 1,000 characters at 1k, 10k and 100k characters, and string-store growth."""
    from babyskin.engine.assess import default_engine
    from babyskin.nlp.pipeline import get_pipeline
    from babyskin.understand import understand_text

    kb = default_engine().kb
    understand_text(LONG_TEXT, kb=kb)
    strings = len(get_pipeline(kb).nlp.vocab.strings)
    out: dict[str, float] = {}
    for size in LONG_SIZES:
        parts, n = [], 0
        while sum(map(len, parts)) < size:
            parts.append(LONG_TEXT.format(n=n))
            n += 1
        text = "".join(parts)[:size]
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            understand_text(text, kb=kb)
            times.append(time.perf_counter() - start)
        out[f"read_{size // 1000}k_ms_per_1k_chars"] = statistics.median(times) * 1e3 / (size / 1000)
    out["read_long_string_store_growth"] = float(len(get_pipeline(kb).nlp.vocab.strings) - strings)
    return out


def _fresh(code: str, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_startup() -> dict[str, float]:
    ours = _fresh("from babyskin.answer.ask import warm_up\n"
                  "from babyskin.engine.assess import default_engine\n"
                  "warm_up(default_engine().kb)")
    here = str(Path(__file__).parent)
    bare = _fresh(f"import sys; sys.path.insert(0, {here!r})\nfrom nlp import bare_pipeline\n"
                  "bare_pipeline()('a rash')")
    return {"startup_nlp_s": ours, "startup_bare_medspacy_s": bare, "startup_ratio": ours / bare}


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def server_rss(load_nlp: bool, texts: list[str]) -> float:
    import httpx

    port = free_port()
    env = {**os.environ, "BABYSKIN_LOAD_NLP": "1" if load_nlp else "0"}
    server = subprocess.Popen([str(BIN / "babyskin"), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
        if load_nlp:
            with httpx.Client(timeout=30) as client:
                for text in texts:
                    client.post(base + "/v1/ask", json={"text": text}).raise_for_status()
        return _rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)


def bench_memory(texts: list[str]) -> dict[str, float]:
    return {"server_rss_mb_with_nlp": server_rss(True, texts),
            "server_rss_mb_without_nlp": server_rss(False, [])}


def bench_eval(cases_file: Path) -> dict[str, float]:
    from babyskin.evaluation import evaluate_file

    text = evaluate_file(cases_file, mode="text").summary()
    structured = evaluate_file(cases_file, mode="findings").summary()
    out = {f"eval_text_{k}": text[k] for k in ("top1", "top3", "triage_exact", "under_triage")}
    out.update({f"eval_findings_{k}": structured[k] for k in ("top1", "triage_exact", "under_triage")})
    out["extraction_precision"] = text["extraction"]["precision"]
    out["extraction_recall"] = text["extraction"]["recall"]
    return out


def bench_nlp(cases_file: Path, rounds: int = 20) -> dict[str, float]:
    texts = questions(cases_file)
    figures: dict[str, float] = {}
    figures.update(bench_latency(texts, rounds))
    figures.update(bench_long())
    figures.update(bench_startup())
    figures.update(bench_memory(texts))
    figures.update(bench_eval(cases_file))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=Path, default=ROOT.parent / "shared/eval/dev_cases.yaml")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = bench_nlp(args.cases, args.rounds)
    print_figures(figures, as_json=args.json)


if __name__ == "__main__":
    main()
