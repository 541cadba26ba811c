"""Review workflow, review status, claims listing and the comparison table."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from babyskin.answer.compare import ROWS, compare
from babyskin.cli import app
from babyskin.errors import InputError
from babyskin.kb.loader import KnowledgeBase, default_kb_dir, load_kb
from babyskin.kb.review import is_stale, move
from babyskin.kb.schema import Review, ReviewStatus

runner = CliRunner()
TODAY = dt.date(2026, 11, 23)


def test_moves_follow_the_workflow() -> None:
    review = Review(status=ReviewStatus.draft, updated_on=TODAY)
    review = move(review, "submit", "A. Author", None, TODAY)
    review = move(review, "start", "Dr Reviewer", None, TODAY)
    review = move(review, "approve", "Dr Reviewer", None, TODAY)
    assert review.status is ReviewStatus.approved
    assert review.reviewer == "Dr Reviewer" and review.reviewed_on == TODAY
    assert [e.action for e in review.history] == ["submit", "start", "approve"]


def test_illegal_moves_are_refused_with_the_allowed_ones() -> None:
    draft = Review(status=ReviewStatus.draft, updated_on=TODAY)
    with pytest.raises(InputError, match=r"cannot approve an entry that is 'draft'.*submit"):
        move(draft, "approve", "Dr X", None, TODAY)
    submitted = move(draft, "submit", "A", None, TODAY)
    with pytest.raises(InputError, match="needs --note"):
        move(submitted, "reject", "Dr X", None, TODAY)
    back = move(submitted, "reject", "Dr X", "cite the course", TODAY)
    assert back.status is ReviewStatus.draft and back.history[-1].note == "cite the course"


def test_stale_after_a_year() -> None:
    old = Review(status=ReviewStatus.approved, reviewer="X", reviewed_on=dt.date(2025, 1, 1),
                 updated_on=dt.date(2025, 1, 1))
    assert is_stale(old, TODAY)
    assert not is_stale(old.model_copy(update={"reviewed_on": TODAY}), TODAY)


def test_review_cli_rewrites_only_the_review_block_and_keeps_history(tmp_path: Path) -> None:
    root = tmp_path / "kb"
    shutil.copytree(default_kb_dir(), root)
    path = root / "conditions" / "milia.yaml"
    before = path.read_text().split("\nreview:")[0]
    for action in ("submit", "start", "approve"):
        result = runner.invoke(app, ["kb", "review", action, "milia", "--reviewer", "Dr Lee",
                                     "--path", str(root)])
        assert result.exit_code == 0, result.output
    assert path.read_text().split("\nreview:")[0] == before
    kb = load_kb(root)
    assert kb.conditions["milia"].review.status is ReviewStatus.approved
    assert len(kb.conditions["milia"].review.history) == 3
    again = runner.invoke(app, ["kb", "review", "approve", "milia", "--reviewer", "Dr Lee",
                                "--path", str(root)])
    assert again.exit_code == 2 and "cannot approve" in again.stderr
    status = runner.invoke(app, ["kb", "status", "--json", "--path", str(root)])
    rows = {r["id"]: r for r in json.loads(status.stdout)}
    assert rows["milia"]["status"] == "approved" and rows["milia"]["reviewer"] == "Dr Lee"


def test_approved_content_shows_who_reviewed_it(tmp_path: Path) -> None:
    from babyskin.answer.advice import review_line

    root = tmp_path / "kb"
    shutil.copytree(default_kb_dir(), root)
    for action in ("submit", "start", "approve"):
        runner.invoke(app, ["kb", "review", action, "milia", "--reviewer", "Dr Lee", "--path", str(root)])
    line = review_line(load_kb(root).conditions["milia"])
    assert line.startswith("Reviewed by Dr Lee on ")


def test_compare_has_every_row_with_citations(kb: KnowledgeBase) -> None:
    table = compare(kb, ["milia", "neonatal_acne"])
    assert table["rows"] == list(ROWS)
    keys = {r["key"] for r in table["references"]}
    for column in table["conditions"]:
        for row in ROWS:
            cell = column["cells"][row]
            assert cell["text"] and cell["refs"] and set(cell["refs"]) <= keys


def test_compare_refuses_one_or_five_ids(kb: KnowledgeBase) -> None:
    with pytest.raises(InputError, match="2 to 4"):
        compare(kb, ["milia"])
    with pytest.raises(InputError, match="2 to 4"):
        compare(kb, ["milia", "miliaria", "neonatal_acne", "roseola", "scabies"])


def test_compare_cli_and_unknown_id() -> None:
    result = runner.invoke(app, ["compare", "milia", "neonatal_acne"])
    assert result.exit_code == 0 and "Milia" in result.output and "Neonatal acne" in result.output
    bad = runner.invoke(app, ["compare", "milia", "acne"])
    assert bad.exit_code == 2 and "unknown condition 'acne'" in bad.stderr


def test_claims_listing_filters_by_verdict() -> None:
    result = runner.invoke(app, ["kb", "claims", "--verdict", "rejected", "--json"])
    assert result.exit_code == 0
    claims = json.loads(result.stdout)
    assert claims and {c["verdict"] for c in claims} == {"rejected"}
    bad = runner.invoke(app, ["kb", "claims", "--verdict", "maybe"])
    assert bad.exit_code == 2
