"""The command line: answers, JSON contract, clear errors and exit codes."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from babyskin.cli import app
from tests.conftest import DEV_CASES

runner = CliRunner()
MILIA_ARGS = ["assess", "--age", "3w", "--where", "nose,cheeks", "--lesion", "papule", "--color",
              "white", "--present", "grouped", "--absent", "fever,itchy"]


def test_assess_milia_prints_milia_and_home_care() -> None:
    result = runner.invoke(app, MILIA_ARGS)
    assert result.exit_code == 0, result.output
    assert "HOME CARE" in result.output
    assert "Milia" in result.output
    assert "squeeze" in result.output


def test_assess_json_has_the_documented_shape() -> None:
    result = runner.invoke(app, [*MILIA_ARGS, "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    first = data["differential"][0]
    assert {"id", "name", "probability", "for", "against"} <= set(first)
    assert first["id"] == "milia"
    assert data["triage"]["level"] == "home"
    assert {"level", "reasons"} <= set(data["triage"])
    assert isinstance(data["red_flags"], list)
    assert data["advice"]["do"] and data["references"]


def test_clinician_output_shows_codes_and_management() -> None:
    result = runner.invoke(app, [*MILIA_ARGS, "--audience", "clinician"])
    assert result.exit_code == 0
    assert "L72.0" in result.output
    assert "Management (clinicians)" in result.output


def test_newborn_herpes_picture_is_an_emergency() -> None:
    result = runner.invoke(app, ["assess", "--age", "10d", "--where", "scalp", "--lesion",
                                 "vesicle", "--present", "grouped,fever", "--json"])
    data = json.loads(result.stdout)
    assert data["triage"]["level"] == "emergency"
    assert "neonatal_hsv" in [c["id"] for c in data["differential"][:3]]


def test_unknown_word_is_exit_2_with_the_word_and_near_ones() -> None:
    result = runner.invoke(app, ["assess", "--age", "3w", "--where", "nosee"])
    assert result.exit_code == 2
    assert "unknown word 'nosee'" in result.stderr
    assert "nose" in result.stderr
    assert "Traceback" not in result.output


def test_impossible_ages_are_exit_2_with_a_fix() -> None:
    negative = runner.invoke(app, ["assess", "--age", "-3w"])
    assert negative.exit_code == 2
    assert "negative" in negative.stderr
    garbage = runner.invoke(app, ["assess", "--age", "three weeks"])
    assert garbage.exit_code == 2
    assert "10d (days), 3w (weeks)" in garbage.stderr


def test_ages_in_every_unit() -> None:
    from babyskin.text import parse_age

    assert [parse_age(a) for a in ("10d", "3w", "5m", "1y", "12")] == [10, 21, 152, 365, 12]


def test_conditions_and_show() -> None:
    listing = runner.invoke(app, ["conditions", "--json"])
    assert listing.exit_code == 0
    assert "milia" in {row["id"] for row in json.loads(listing.stdout)}
    shown = runner.invoke(app, ["show", "milia"])
    assert shown.exit_code == 0
    assert "Milia" in shown.output and "Is it contagious?" in shown.output
    missing = runner.invoke(app, ["show", "milai"])
    assert missing.exit_code == 2
    assert "did you mean: milia" in missing.stderr


def test_kb_lint_passes() -> None:
    result = runner.invoke(app, ["kb", "lint"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok:")


def test_eval_json_has_the_contract_keys() -> None:
    result = runner.invoke(app, ["eval", str(DEV_CASES), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"top1", "top3", "triage_exact", "under_triage", "over_triage", "n"} <= set(data)
    assert data["n"] == 34


def test_eval_leave_one_out_scores_each_case_once_per_finding_left_out(tmp_path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "- id: m1\n"
        "  findings: {age_days: 21, locations: [nose], lesions: [papule], colors: [white], absent: [fever]}\n"
        "  expected: {diagnosis: milia, triage: home}\n", encoding="utf-8")
    result = runner.invoke(app, ["eval", str(cases), "--leave-one-out", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["mode"] == "leave_one_out" and data["n"] == 4
    failing = {f["id"] for f in data["failures"]}
    assert failing <= {"m1-nose", "m1-papule", "m1-white", "m1-no_fever"}
    both = runner.invoke(app, ["eval", str(cases), "--text", "--leave-one-out"])
    assert both.exit_code == 2 and "choose one of" in both.stderr


def test_eval_of_a_missing_file_is_a_clear_error(tmp_path) -> None:
    result = runner.invoke(app, ["eval", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no cases file at" in result.stderr


def test_public_api_is_sorted_and_complete() -> None:
    import babyskin

    assert babyskin.__all__ == sorted(babyskin.__all__)
    assert all(hasattr(babyskin, name) for name in babyskin.__all__)
