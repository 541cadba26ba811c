"""``babyskin eval FILE``: score the engine on cases in the schema of ``../shared/eval/dev_cases.yaml``.

Metrics (the evaluation contract): ``top1`` and ``top3`` (the expected diagnosis or an ``acceptable``
id first / in the first three), ``triage_exact``, ``under_triage`` (cases expected emergency or urgent
answered lower; must be 0), ``over_triage`` (share answered higher than expected), ``n``.
Modes: ``findings`` (the structured findings), ``text`` (the free-text ``question``) and
``adaptive`` (a simulated guided check answering from the structured findings).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from babyskin.errors import InputError
from babyskin.models import Assessment, Audience, Findings, TriageLevel

Mode = Literal["findings", "text", "adaptive", "leave_one_out"]


class Expected(BaseModel):
    model_config = ConfigDict(extra="ignore")

    diagnosis: str
    acceptable: list[str] = []
    triage: TriageLevel
    must_mention: list[str] = []


class Case(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    source: str = ""
    kind: str = ""
    audience: Audience = Audience.parent
    question: str = ""
    findings: Findings
    expected: Expected


@dataclass
class Outcome:
    case: Case
    ranked: list[str]
    triage: TriageLevel
    questions: int | None = None
    extracted: Findings | None = None

    @property
    def accepted(self) -> set[str]:
        return {self.case.expected.diagnosis, *self.case.expected.acceptable}

    @property
    def top1(self) -> bool:
        return bool(self.ranked) and self.ranked[0] in self.accepted

    @property
    def top3(self) -> bool:
        return bool(self.accepted & set(self.ranked[:3]))

    @property
    def under(self) -> bool:
        expected = self.case.expected.triage
        return expected.rank >= TriageLevel.urgent.rank and self.triage.rank < expected.rank

    @property
    def over(self) -> bool:
        return self.triage.rank > self.case.expected.triage.rank


@dataclass
class Report:
    mode: Mode
    outcomes: list[Outcome] = field(default_factory=list)
    extraction: dict[str, float] | None = None
    baseline: Report | None = None  # the full-findings run, beside an adaptive or text run

    def summary(self) -> dict[str, Any]:
        n = len(self.outcomes)
        share = (lambda k: round(sum(k(o) for o in self.outcomes) / n, 4)) if n else (lambda k: 0.0)
        data: dict[str, Any] = {
            "mode": self.mode,
            "n": n,
            "top1": share(lambda o: o.top1),
            "top3": share(lambda o: o.top3),
            "triage_exact": share(lambda o: o.triage == o.case.expected.triage),
            "under_triage": sum(o.under for o in self.outcomes),
            "over_triage": share(lambda o: o.over),
        }
        asked = [o.questions for o in self.outcomes if o.questions is not None]
        if asked:
            data["questions_median"] = statistics.median(asked)
            data["questions_p90"] = sorted(asked)[max(0, round(0.9 * len(asked)) - 1)]
        if self.extraction is not None:
            data["extraction"] = self.extraction
        if self.baseline is not None:
            full = self.baseline.summary()
            data["full_findings"] = {k: full[k] for k in
                                     ("top1", "top3", "triage_exact", "under_triage", "over_triage")}
        data["failures"] = [
            {"id": o.case.id, "expected": o.case.expected.diagnosis,
             "expected_triage": o.case.expected.triage.value, "answered": o.ranked[:3],
             "triage": o.triage.value}
            for o in self.outcomes
            if not o.top1 or o.triage != o.case.expected.triage
        ]
        return data


def load_cases(path: Path) -> list[Case]:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"no cases file at {path}; give the path of a YAML file of cases") from None
    except yaml.YAMLError as error:
        raise InputError(f"{path} is not valid YAML: {error}".replace("\n", " ")) from None
    if not isinstance(raw, list):
        raise InputError(f"{path}: expected a YAML list of cases, got {type(raw).__name__}")
    cases, problems = [], []
    for index, item in enumerate(raw):
        try:
            cases.append(Case.model_validate(item))
        except ValidationError as error:
            label = item.get("id", f"#{index}") if isinstance(item, dict) else f"#{index}"
            for err in error.errors():
                where = ".".join(str(p) for p in err["loc"])
                problems.append(f"{path}:{label}:{where}: {err['msg']}")
    if problems:
        raise InputError(f"{len(problems)} problem(s) in {path}: " + "; ".join(problems[:5]),
                         problems=problems)
    return cases


def _ranked(result: Assessment) -> list[str]:
    return [c.id for c in result.differential]


def leave_one_out(case: Case) -> list[Case]:
    """The case once for each finding word it lists, with that word left out (id ``case-word``): how
    the answer holds up when a description misses one detail."""
    variants = []
    data = case.findings.model_dump()
    for name in ("locations", "lesions", "colors", "present", "absent", "size", "count"):
        value = data[name]
        for word in [value] if isinstance(value, str) else list(value or ()):
            less = {**data, name: None if isinstance(value, str) else [w for w in value if w != word]}
            sign = "-no_" if name == "absent" else "-"
            variants.append(case.model_copy(update={"id": f"{case.id}{sign}{word}",
                                                    "findings": Findings(**less)}))
    return variants


def evaluate_cases(cases: list[Case], mode: Mode = "findings") -> Report:
    from babyskin.engine.assess import default_engine

    engine = default_engine()
    report = Report(mode=mode)
    if mode == "leave_one_out":
        cases = [variant for case in cases for variant in leave_one_out(case)]
    for case in cases:
        if mode in ("findings", "leave_one_out"):
            result = engine.assess(case.findings, case.audience)
            report.outcomes.append(Outcome(case, _ranked(result), result.triage.level))
        elif mode == "text":
            from babyskin.understand import understand_text

            understood = understand_text(case.question)
            result = engine.assess(understood.findings, case.audience)
            report.outcomes.append(Outcome(case, _ranked(result), result.triage.level,
                                           extracted=understood.findings))
        else:
            from babyskin.engine.guided import simulate

            result, asked = simulate(engine, case.findings, case.audience)
            report.outcomes.append(Outcome(case, _ranked(result), result.triage.level, asked))
    if mode == "text":
        report.extraction = extraction_scores(report.outcomes)
    if mode in ("text", "adaptive"):
        report.baseline = evaluate_cases(cases, "findings")
    return report


def _words(findings: Findings) -> set[str]:
    present, absent = findings.observed()
    words = {f"+{w}" for w in present} | {f"-{w}" for w in absent}
    for name in ("age_days", "onset_days", "duration_days", "gestation_weeks", "fever_days", "temperature_c"):
        if getattr(findings, name) is not None:
            words.add(name)
    return words


def extraction_scores(outcomes: list[Outcome]) -> dict[str, float]:
    """Micro-averaged precision and recall of extracted words against the structured findings."""
    tp = fp = fn = 0
    for outcome in outcomes:
        if outcome.extracted is None:
            continue
        got, want = _words(outcome.extracted), _words(outcome.case.findings)
        tp += len(got & want)
        fp += len(got - want)
        fn += len(want - got)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4)}


def evaluate_file(path: Path, mode: Mode = "findings") -> Report:
    return evaluate_cases(load_cases(path), mode)


def print_report(console: Any, report: Report) -> None:
    from rich.table import Table

    summary = report.summary()
    table = Table("metric", "value", title=f"babyskin eval ({report.mode}, n={summary['n']})")
    for key in ("top1", "top3", "triage_exact", "over_triage"):
        table.add_row(key, f"{summary[key]:.1%}")
    table.add_row("under_triage", str(summary["under_triage"]))
    for key in ("questions_median", "questions_p90"):
        if key in summary:
            table.add_row(key, str(summary[key]))
    if "extraction" in summary:
        table.add_row("extraction precision", f"{summary['extraction']['precision']:.1%}")
        table.add_row("extraction recall", f"{summary['extraction']['recall']:.1%}")
    if "full_findings" in summary:
        table.add_section()
        for key, value in summary["full_findings"].items():
            shown = str(value) if key == "under_triage" else f"{value:.1%}"
            table.add_row(f"{key} (all findings given)", shown)
    console.print(table)
    if summary["failures"]:
        fails = Table("case", "expected", "answered (top 3)", "triage expected -> answered",
                      title="Cases not fully right")
        for row in summary["failures"]:
            fails.add_row(row["id"], row["expected"], ", ".join(row["answered"]),
                          f"{row['expected_triage']} -> {row['triage']}")
        console.print(fails)
