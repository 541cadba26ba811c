"""The knowledge base: coverage of the evaluation contract and lint messages that point at the fault."""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import pytest
import yaml

from babyskin.errors import KnowledgeBaseError
from babyskin.kb.loader import KnowledgeBase, default_kb_dir, load_kb
from tests.conftest import SHARED

CONDITIONS_TSV = SHARED / "eval" / "conditions.tsv"
NEXT_CONDITIONS_TSV = SHARED / "eval" / "conditions-next.tsv"
FINDINGS_TSV = SHARED / "eval" / "findings.tsv"


def tsv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_every_contract_condition_has_an_entry_with_its_code(kb: KnowledgeBase) -> None:
    for row in tsv_rows(CONDITIONS_TSV):
        assert row["id"] in kb.conditions, f"no entry for {row['id']}"
        assert kb.conditions[row["id"]].icd10cm == row["icd10cm"]


def test_every_next_contract_condition_has_an_entry(kb: KnowledgeBase) -> None:
    """conditions-next.tsv (issue 20) is covered like conditions.tsv: every row, its name and code."""
    for row in tsv_rows(NEXT_CONDITIONS_TSV):
        assert row["id"] in kb.conditions, row["id"]
        cond = kb.conditions[row["id"]]
        assert cond.icd10cm == row["icd10cm"], f"{row['id']}: {cond.icd10cm} != {row['icd10cm']}"
        assert cond.name == row["name"], row["id"]


def test_every_contract_finding_word_is_known(kb: KnowledgeBase) -> None:
    for row in tsv_rows(FINDINGS_TSV):
        if row["kind"] not in ("list", "choice") or row["field"] in ("present", "absent"):
            continue
        for word in re.findall(r"(?<![(\w-])[a-z_]+(?![\w)])", row["values / meaning"]):
            if word not in ("under", "over", "mm"):
                assert word in kb.findings, f"{row['field']}: {word}"
    signs = next(r for r in tsv_rows(FINDINGS_TSV) if r["field"] == "present")
    for word in signs["values / meaning"].split(":", 1)[1].split():
        assert word in kb.findings, word


def test_every_condition_has_red_flags_or_says_none(kb: KnowledgeBase) -> None:
    for cond in kb.conditions.values():
        assert cond.red_flags == "none" or len(cond.red_flags) >= 1, cond.id


def test_every_condition_rests_on_two_good_references(kb: KnowledgeBase) -> None:
    from babyskin.kb.checks import iter_statements

    for cond in kb.conditions.values():
        keys = {k for _f, _t, refs in iter_statements(cond) for k in refs} | set(cond.findings.refs)
        good = {k for k in keys if kb.references[k].evidence in "ABC"}
        assert len(good) >= 2, f"{cond.id}: {sorted(good)}"


def test_no_advice_cites_a_seed_article(kb: KnowledgeBase) -> None:
    from babyskin.kb.checks import iter_statements

    for cond in kb.conditions.values():
        for field, _text, refs in iter_statements(cond):
            assert not [r for r in refs if r.startswith("seed-")], f"{cond.id}.{field}"


def test_references_start_from_the_vetted_list(kb: KnowledgeBase) -> None:
    shared = {r["key"] for r in yaml.safe_load((SHARED / "references.yaml").read_text())}
    assert shared <= set(kb.references)


# --- lint catches each kind of fault, naming file, record and field ---------------------------


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(default_kb_dir(), target)
    return target


def edit_condition(root: Path, cid: str, change) -> Path:
    path = root / "conditions" / f"{cid}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def lint_problems(root: Path) -> list[str]:
    with pytest.raises(KnowledgeBaseError) as info:
        load_kb(root, full=True)
    return info.value.problems


def test_bundled_kb_is_clean() -> None:
    load_kb(full=True)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["findings"]["typical"].update({"nosee": "often"}),
         "milia.yaml:milia:findings.typical: unknown finding 'nosee' (did you mean: nose"),
        (lambda d: d["home_care"][0].update({"refs": ["no-such-paper"]}),
         "milia.yaml:milia:home_care[0]: unknown reference key 'no-such-paper'"),
        (lambda d: d["home_care"][0].update({"refs": []}),
         "milia.yaml:milia:home_care.0.refs: List should have at least 1 item"),
        (lambda d: d.update({"icd10cm": "L99.99"}),
         "milia.yaml:milia:icd10cm: 'L99.99' is not an ICD-10-CM code"),
        (lambda d: d.pop("review"), "milia.yaml:milia:review: Field required"),
        (lambda d: d.update({"colour": "white"}), "milia.yaml:milia:colour: Extra inputs"),
        (lambda d: d.update({"red_flags": ["no_such_flag"]}),
         "milia.yaml:milia:red_flags: unknown red flag 'no_such_flag'"),
    ],
    ids=["unknown-finding", "unknown-ref", "statement-without-ref", "bad-icd", "no-review",
         "unknown-key", "unknown-red-flag"],
)
def test_lint_names_the_fault(kb_copy: Path, change, expected: str) -> None:
    edit_condition(kb_copy, "milia", change)
    problems = lint_problems(kb_copy)
    assert any(expected in p for p in problems), problems


def test_lint_finds_duplicate_ids_and_colliding_names(kb_copy: Path) -> None:
    source = (kb_copy / "conditions" / "milia.yaml").read_text()
    (kb_copy / "conditions" / "milia_copy.yaml").write_text(source)
    problems = lint_problems(kb_copy)
    assert any("milia_copy.yaml:milia:id: must match the file name" in p for p in problems)
    assert any("duplicate id" in p for p in problems)


def test_lint_finds_colliding_finding_synonyms(kb_copy: Path) -> None:
    path = kb_copy / "findings.yaml"
    data = yaml.safe_load(path.read_text())
    fever = next(f for f in data if f["id"] == "fever")
    fever["synonyms"].append("itchy")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    problems = lint_problems(kb_copy)
    assert any("fever:synonyms: 'itchy' collides with finding 'itchy'" in p for p in problems)


def test_lint_reports_every_problem_not_just_the_first(kb_copy: Path) -> None:
    edit_condition(kb_copy, "milia", lambda d: d.update({"triage": "later", "colour": "x"}))
    problems = lint_problems(kb_copy)
    assert len([p for p in problems if "milia.yaml" in p]) >= 2


def test_the_compiled_cache_is_used_and_never_stale(kb_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.setenv("BABYSKIN_CACHE_DIR", str(tmp_path / "cache"))
    first = load_kb(kb_copy)
    cached = list((tmp_path / "cache").rglob("kb-*.pickle"))
    assert len(cached) == 1
    again = load_kb(kb_copy)
    assert again.version == first.version and again.conditions == first.conditions
    assert again.condition_files["milia"] == kb_copy / "conditions" / "milia.yaml"
    edit_condition(kb_copy, "milia", lambda d: d.update({"name": "Milia (edited)"}))
    changed = load_kb(kb_copy)
    assert changed.version != first.version and changed.conditions["milia"].name == "Milia (edited)"
    cached[0].write_bytes(b"not a pickle")
    edit_condition(kb_copy, "milia", lambda d: d.update({"name": "Milia"}))
    assert load_kb(kb_copy).conditions["milia"].name == "Milia"


def test_a_broken_kb_is_never_served_from_the_cache(kb_copy: Path, monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv("BABYSKIN_CACHE_DIR", str(tmp_path / "cache"))
    load_kb(kb_copy)
    edit_condition(kb_copy, "milia", lambda d: d["findings"]["typical"].update({"nosee": "often"}))
    with pytest.raises(KnowledgeBaseError):
        load_kb(kb_copy)


def test_a_per_kb_object_is_built_once_per_version(kb: KnowledgeBase, kb_copy: Path) -> None:
    from babyskin.kb.derived import PerKb

    built: list[str] = []
    holder = PerKb(lambda k: built.append(k.version) or k.version)
    assert holder.get(kb) == holder.get(kb) == kb.version
    edit_condition(kb_copy, "milia", lambda d: d.update({"name": "Milia (edited)"}))
    other = load_kb(kb_copy)
    assert holder.get(other) == other.version
    assert built == [kb.version, other.version]
