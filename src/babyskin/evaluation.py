"""``babyskin eval FILE``: score the engine on cases in the schema of ``../shared/eval/dev_cases.yaml``.

Metrics (the evaluation contract): ``top1`` and ``top3`` (the expected diagnosis or an ``acceptable``
id first / in the first three), ``triage_exact``, ``under_triage`` (cases expected emergency or urgent
answered lower; must be 0), ``over_triage`` (share answered higher than expected), ``n``.
Modes: ``findings`` (the structured findings), ``text`` (the free-text ``question``) and
``adaptive`` (a simulated guided check answering from the structured findings).

Calibration: ``brier`` is the multi-class Brier score of the whole posterior against the expected
diagnosis (``Σ_c (p_c - y_c)^2``, 0 is perfect, 2 the worst), and ``reliability`` bins the cases by the
leading diagnosis's probability and gives each bin's mean probability beside how often the lead was
right. ``FILE`` may be a YAML file or a folder of them. Figures on cases the shipped model was fitted to
(``kb/data/case_counts.yaml``) are not a fair test: the report says so, and ``--cv K``
(:mod:`babyskin.evaluation_cv`) gives the held-out figures.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
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


RELIABILITY_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass
class Outcome:
    case: Case
    ranked: list[str]
    triage: TriageLevel
    questions: int | None = None
    extracted: Findings | None = None
    probs: dict[str, float] = field(default_factory=dict)  # the whole posterior
    must_not_miss: list[str] = field(default_factory=list)

    @property
    def brier(self) -> float:
        want = self.case.expected.diagnosis
        return sum((p - (cid == want)) ** 2 for cid, p in self.probs.items()) + (
            0.0 if want in self.probs else 1.0)

    @property
    def confidence(self) -> float:
        return self.probs.get(self.ranked[0], 0.0) if self.ranked else 0.0

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
    fitted_overlap: int = 0  # cases the model in use was fitted to (their figures are not a fair test)
    notes: list[str] = field(default_factory=list)

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
        if n and all(o.probs for o in self.outcomes):
            data["brier"] = round(sum(o.brier for o in self.outcomes) / n, 4)
            data["reliability"] = self.reliability()
        if self.fitted_overlap:
            data["fitted_on"] = self.fitted_overlap
            data["warning"] = (f"{self.fitted_overlap} of these {n} cases were used to fit the model:"
                               " these figures are not a fair test; use --cv K for held-out figures")
        if self.notes:
            data["notes"] = list(self.notes)
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

    def reliability(self) -> list[dict[str, Any]]:
        """Per bin of the lead's probability: cases, mean probability, share where the lead was right."""
        rows = []
        edges = RELIABILITY_BINS
        for low, high in itertools.pairwise(edges):
            inside = [o for o in self.outcomes
                      if low <= o.confidence < high or (high == 1.0 and o.confidence == 1.0)]
            if inside:
                rows.append({"bin": f"{low:.1f}-{high:.1f}", "n": len(inside),
                             "mean_probability": round(sum(o.confidence for o in inside) / len(inside), 4),
                             "accuracy": round(sum(o.top1 for o in inside) / len(inside), 4)})
        return rows

    def case_rows(self) -> list[dict[str, Any]]:
        """One row per case for ``eval --json``."""
        return [{"id": o.case.id, "expected": o.case.expected.diagnosis,
                 "expected_triage": o.case.expected.triage.value, "top3": o.ranked[:3],
                 "must_not_miss": o.must_not_miss, "triage": o.triage.value,
                 "probability": round(o.confidence, 4)} for o in self.outcomes]


def load_cases(path: Path) -> list[Case]:
    """The cases of a YAML file, or of every ``*.yaml`` file in a folder (sorted by name)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
        if not files:
            raise InputError(f"no .yaml case files in {path}; give a cases file or a folder of them")
        cases = [case for file in files for case in _load_file(file)]
        counts = Counter(c.id for c in cases)
        dupes = sorted(cid for cid, k in counts.items() if k > 1)
        if dupes:
            raise InputError(f"case ids used more than once in {path}: {', '.join(dupes[:10])};"
                             " give each case its own id")
        return cases
    return _load_file(path)


def _load_file(path: Path) -> list[Case]:
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


def evaluate_cases(cases: list[Case], mode: Mode = "findings", engine: Any = None) -> Report:
    """Score ``engine`` (the shipped one when None) on ``cases`` in ``mode``."""
    from babyskin.engine.assess import default_engine

    engine = engine or default_engine()
    report = Report(mode=mode)
    fitted = set(engine.counts.case_ids)
    report.fitted_overlap = sum(c.id in fitted for c in cases)
    if mode == "leave_one_out":
        cases = [variant for case in cases for variant in leave_one_out(case)]
    for case in cases:
        if mode in ("findings", "leave_one_out"):
            result = engine.assess(case.findings, case.audience)
            report.outcomes.append(_scored(engine, Outcome(case, _ranked(result), result.triage.level),
                                           result))
        elif mode == "text":
            from babyskin.understand import understand_text

            understood = understand_text(case.question)
            result = engine.assess(understood.findings, case.audience)
            report.outcomes.append(_scored(engine, Outcome(case, _ranked(result), result.triage.level,
                                                           extracted=understood.findings), result))
        else:
            from babyskin.engine.guided import simulate

            result, asked = simulate(engine, case.findings, case.audience)
            report.outcomes.append(_scored(engine, Outcome(case, _ranked(result), result.triage.level,
                                                           asked), result))
    if mode == "text":
        report.extraction = extraction_scores(report.outcomes)
    if mode in ("text", "adaptive"):
        report.baseline = evaluate_cases(cases, "findings", engine)
    return report


def _scored(engine: Any, outcome: Outcome, result: Assessment) -> Outcome:
    from babyskin.engine.rank import posterior

    outcome.probs = dict(posterior(engine.model, result.findings))
    outcome.must_not_miss = [m.id for m in result.must_not_miss]
    return outcome


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
    if "brier" in summary:
        table.add_row("brier", f"{summary['brier']:.3f}")
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
    if "warning" in summary:
        console.print(f"[bold red]Not a fair test:[/] {summary['warning']}")
    for note in summary.get("notes", ()):
        console.print(f"[dim]{note}[/]")
    if summary.get("reliability"):
        rel = Table("lead's probability", "cases", "mean probability", "lead right",
                    title="Reliability")
        for row in summary["reliability"]:
            rel.add_row(row["bin"], str(row["n"]), f"{row['mean_probability']:.0%}",
                        f"{row['accuracy']:.0%}")
        console.print(rel)
    if summary["failures"]:
        fails = Table("case", "expected", "answered (top 3)", "triage expected -> answered",
                      title="Cases not fully right")
        for row in summary["failures"]:
            fails.add_row(row["id"], row["expected"], ", ".join(row["answered"]),
                          f"{row['expected_triage']} -> {row['triage']}")
        console.print(fails)
