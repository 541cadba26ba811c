"""Red flags written the way worried parents type them must still escalate.

The table (``red_flag_phrasings.tsv``) holds misspellings ("purpel", "breething"), missing apostrophes
("wont fade"), lay words ("floppy", "had a fit") and negation-like wording of a warning sign ("not
breathing properly"). Each row must reach at least its triage level through the free-text reader and
the engine, and through ``POST /v1/ask``. A failing row is a gap in the reader: fix the reader, never
the row.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from babyskin.engine.assess import Engine
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import TriageLevel
from babyskin.understand import understand_text

TABLE = Path(__file__).with_name("red_flag_phrasings.tsv")
MIN_ROWS = 40


@dataclass(frozen=True)
class Phrasing:
    id: str
    text: str
    min_triage: TriageLevel
    red_flag: str


def load_table(path: Path = TABLE) -> list[Phrasing]:
    lines = [line for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    return [Phrasing(id=row["id"], text=row["text"], min_triage=TriageLevel(row["min_triage"]),
                     red_flag=row["red_flag"])
            for row in csv.DictReader(lines, delimiter="\t")]


ROWS = load_table()


def test_the_table_has_enough_distinct_rows_naming_real_red_flags(kb: KnowledgeBase) -> None:
    assert len(ROWS) >= MIN_ROWS
    assert len({r.id for r in ROWS}) == len(ROWS) and len({r.text for r in ROWS}) == len(ROWS)
    assert all(r.red_flag in kb.red_flags for r in ROWS), [r.red_flag for r in ROWS
                                                           if r.red_flag not in kb.red_flags]
    assert all(r.min_triage.rank >= TriageLevel.urgent.rank for r in ROWS)
    assert len({r.red_flag for r in ROWS}) >= 15, "cover many different red flags"


def describe(engine: Engine, text: str) -> str:
    understood = understand_text(text, kb=engine.kb)
    result = engine.assess(understood.findings)
    read = understood.findings.model_dump(mode="json", exclude_defaults=True)
    return (f"{text!r} -> {result.triage.level.value}; read {read}; red flags"
            f" {[f.id for f in result.red_flags]}; notes {list(understood.notes)}")


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_the_phrasing_escalates_through_the_reader_and_the_engine(engine: Engine, row: Phrasing) -> None:
    understood = understand_text(row.text, kb=engine.kb)
    result = engine.assess(understood.findings)
    assert result.triage.level.rank >= row.min_triage.rank, describe(engine, row.text)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_the_phrasing_escalates_through_post_v1_ask(api: TestClient, row: Phrasing) -> None:
    response = api.post("/v1/ask", json={"text": row.text})
    assert response.status_code == 200, response.text
    triage = response.json()["triage"]
    assert triage is not None, f"{row.text!r}: answered without a triage"
    assert TriageLevel(triage["level"]).rank >= row.min_triage.rank, f"{row.text!r} -> {triage['level']}"
