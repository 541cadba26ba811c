"""Fitting to a case library (Beta pseudo-counts), eval on folders, --cv grouped by source, --html,
per-case JSON rows, and the warning for figures on cases the model was fitted to."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from babyskin.cli import app
from babyskin.engine.assess import Engine
from babyskin.engine.fit import COUNTS_FILE, CaseCounts, counts_from_cases, read_counts
from babyskin.evaluation import evaluate_cases, load_cases
from babyskin.evaluation_cv import folds, source_key
from babyskin.kb.loader import default_kb_dir
from babyskin.models import FindingGroup, Findings
from tests.conftest import DEV_CASES

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def case_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    raw = yaml.safe_load(DEV_CASES.read_text(encoding="utf-8"))
    folder = tmp_path_factory.mktemp("cases")
    (folder / "a.yaml").write_text(yaml.safe_dump(raw[:17]), encoding="utf-8")
    (folder / "b.yaml").write_text(yaml.safe_dump(raw[17:]), encoding="utf-8")
    return folder


def test_beta_pseudo_counts_move_the_prior_towards_the_cases() -> None:
    cases = [(f"c{i}", "milia", Findings(locations=["nose"], present=["itchy"] if i < 2 else []))
             for i in range(10)]
    counts = counts_from_cases(cases, strength=10)
    # nose in all 10 of 10 described cases: (10 * 0.5 + 10) / (10 + 10)
    assert counts.likelihood("milia", "nose", FindingGroup.locations, 0.5) == pytest.approx(0.75)
    # a sign counts only where it was stated: 2 present, 0 absent
    assert counts.likelihood("milia", "itchy", FindingGroup.signs, 0.03) == pytest.approx(2.3 / 12)
    assert counts.likelihood("other", "nose", FindingGroup.locations, 0.5) == 0.5
    assert CaseCounts().likelihood("milia", "nose", FindingGroup.locations, 0.25) == 0.25
    assert counts_from_cases(reversed(cases)).case_ids == counts.case_ids  # order does not matter


def test_eval_takes_a_folder_and_rejects_duplicate_ids(case_dir: Path, tmp_path: Path) -> None:
    assert len(load_cases(case_dir)) == len(load_cases(DEV_CASES))
    (tmp_path / "a.yaml").write_text((case_dir / "a.yaml").read_text(), encoding="utf-8")
    (tmp_path / "b.yaml").write_text((case_dir / "a.yaml").read_text(), encoding="utf-8")
    result = runner.invoke(app, ["eval", str(tmp_path)])
    assert result.exit_code == 2 and "more than once" in result.output


def test_folds_keep_a_source_together(case_dir: Path) -> None:
    cases = load_cases(case_dir)
    parts = folds(cases, 5)
    assert sum(len(p) for p in parts) == len(cases)
    where = {source_key(c): i for i, p in enumerate(parts) for c in p}
    for i, part in enumerate(parts):
        assert all(where[source_key(c)] == i for c in part)


def test_cv_reports_held_out_figures_with_calibration_and_case_rows(case_dir: Path) -> None:
    result = runner.invoke(app, ["eval", str(case_dir), "--cv", "5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["n"] == 34 and data["under_triage"] == 0
    assert 0 <= data["brier"] <= 2 and data["reliability"]
    assert "cross-validation grouped by source" in data["notes"][0]
    assert "warning" not in data
    row = data["cases"][0]
    assert set(row) >= {"id", "expected", "top3", "must_not_miss", "triage"}


def test_figures_on_fitted_cases_say_so(kb, case_dir: Path) -> None:
    cases = load_cases(case_dir)
    counts = counts_from_cases((c.id, c.expected.diagnosis, c.findings) for c in cases)
    summary = evaluate_cases(cases, "findings", Engine(kb, counts)).summary()
    assert summary["fitted_on"] == len(cases) and "not a fair test" in summary["warning"]


def test_kb_fit_writes_a_reviewable_counts_file(case_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / COUNTS_FILE
    result = runner.invoke(app, ["kb", "fit", str(case_dir), "--output", str(target)])
    assert result.exit_code == 0, result.output
    counts = read_counts(target)
    assert len(counts.case_ids) == 34 and counts.conditions["milia"].n >= 1
    assert "Beta pseudo-counts" in target.read_text(encoding="utf-8")


def test_html_report_has_the_tables_and_a_plot(case_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "report.html"
    result = runner.invoke(app, ["eval", str(DEV_CASES), "--html", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    for part in ("Confusion by condition", "Triage matrix", "Reliability", "<svg", "Failing cases"):
        assert part in page


def test_tuning_options_need_cv() -> None:
    result = runner.invoke(app, ["eval", str(DEV_CASES), "--tune-harm"])
    assert result.exit_code == 2 and "--cv" in result.output


def test_shipped_counts_are_up_to_date_with_the_case_library() -> None:
    cases_dir = REPO / "cases"
    if not cases_dir.is_dir():
        pytest.skip("no cases/ folder yet")
    shipped = read_counts(default_kb_dir() / COUNTS_FILE)
    cases = load_cases(cases_dir)
    fresh = counts_from_cases([(c.id, c.expected.diagnosis, c.findings) for c in cases], shipped.strength)
    assert shipped.case_ids == fresh.case_ids and shipped.conditions == fresh.conditions, (
        "kb/data/case_counts.yaml is out of date: run `babyskin kb fit cases/`")


def test_bad_input_keeps_its_clear_error_or_caution() -> None:
    unknown = runner.invoke(app, ["assess", "--where", "nosee", "--lesion", "papule"])
    assert unknown.exit_code == 2 and "did you mean" in unknown.output
    clash = runner.invoke(app, ["assess", "--where", "nose", "--present", "fever", "--absent", "fever"])
    assert clash.exit_code == 2 and "keep one" in clash.output
    old = runner.invoke(app, ["assess", "--age", "30m", "--where", "nose", "--lesion", "papule", "--json"])
    assert old.exit_code == 0 and "24 months" in json.loads(old.stdout)["cautions"][0]
