"""Schemathesis against the app's OpenAPI document: every operation, valid and invalid inputs.

:func:`fuzz_schema` draws ``examples`` cases per operation and per generation mode (positive: inputs the
schema allows; negative: inputs it forbids), sends each one and records a failure when the answer is a
server error (5xx), an error that is not in the API's one JSON error shape, or slower than
``time_limit_s``. It never stops at the first failure, so the report counts every input tried.

Used in-process by ``tests/safety/test_api_fuzz.py`` (a small budget) and against a live loopback
server by ``safety/run.py`` (the full budget).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

Auth = Callable[[str, str], dict[str, str]]
"""(method, path template) -> headers to send (for example a fresh diary token)."""


@dataclass
class OperationReport:
    method: str
    path: str
    tried: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)  # the first few, as examples
    failure_count: int = 0
    slowest_s: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.method.upper()} {self.path}"


@dataclass
class FuzzReport:
    operations: list[OperationReport]

    @property
    def tried(self) -> int:
        return sum(op.tried for op in self.operations)

    @property
    def failures(self) -> list[str]:
        return [f"{op.name}: {failure}" for op in self.operations for failure in op.failures]

    @property
    def failure_count(self) -> int:
        return sum(op.failure_count for op in self.operations)

    @property
    def slowest_s(self) -> float:
        return max((op.slowest_s for op in self.operations), default=0.0)

    def statuses(self) -> Counter[int]:
        total: Counter[int] = Counter()
        for op in self.operations:
            total.update(op.statuses)
        return total


def error_shape_problem(status: int, body: bytes) -> str | None:
    """Why an error response is not in the API's one shape (``None`` when it is, or not an error)."""
    if status < 400:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return f"{status} with a body that is not JSON"
    if not isinstance(data, dict) or data.get("ok") is not False or data.get("status") != status:
        return f"{status} without the error shape: {body[:200]!r}"
    if not data.get("errors") or data.get("error") != "; ".join(data["errors"]):
        return f"{status} whose 'error' does not join its 'errors'"
    return None


def fuzz_schema(
    schema: Any,
    *,
    examples: int,
    auth: Auth | None = None,
    time_limit_s: float | None = None,
    derandomize: bool = False,
    base_url: str | None = None,
    max_failures_kept: int = 5,
) -> FuzzReport:
    """Fuzz every operation of ``schema`` (a loaded schemathesis schema); see the module docstring."""
    from schemathesis import GenerationMode

    reports = []
    for result in schema.get_all_operations():
        operation = result.ok()
        report = OperationReport(operation.method, operation.path)
        reports.append(report)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _run_mode(operation, mode, report, examples=examples, auth=auth, time_limit_s=time_limit_s,
                      derandomize=derandomize, base_url=base_url, keep=max_failures_kept)
    return FuzzReport(reports)


def _run_mode(operation: Any, mode: Any, report: OperationReport, *, examples: int, auth: Auth | None,
              time_limit_s: float | None, derandomize: bool, base_url: str | None, keep: int) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode)
    except Exception:  # nothing to generate in this mode (e.g. no parameters to make invalid)
        return

    @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(case: Any) -> None:
        headers = auth(operation.method, operation.path) if auth else {}
        started = time.perf_counter()
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
        except Exception as exc:  # a transport failure is a finding, not a crash of the fuzzer
            report.tried += 1
            _keep(report, keep, f"{mode.value}: request failed ({type(exc).__name__}: {exc})")
            return
        elapsed = time.perf_counter() - started
        report.tried += 1
        report.statuses[response.status_code] += 1
        report.slowest_s = max(report.slowest_s, elapsed)
        if response.status_code >= 500:
            _keep(report, keep, f"{mode.value}: {response.status_code} for {case.as_curl_command()}"
                                f" -> {response.content[:300]!r}")
        elif problem := error_shape_problem(response.status_code, response.content):
            _keep(report, keep, f"{mode.value}: {problem} for {case.as_curl_command()}")
        if time_limit_s is not None and elapsed > time_limit_s:
            _keep(report, keep, f"{mode.value}: took {elapsed:.2f} s (limit {time_limit_s} s)"
                                f" for {case.as_curl_command()}")

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid in this mode (an operation without inputs)
        return


def _keep(report: OperationReport, keep: int, failure: str) -> None:
    report.failure_count += 1
    if len(report.failures) < keep:
        report.failures.append(failure)
    elif len(report.failures) == keep:
        report.failures.append("... more failures not shown")
