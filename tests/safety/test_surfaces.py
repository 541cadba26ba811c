"""The CLI, the API and the web give the same triage for every red-flag phrasing in the repo.

One composer (:func:`babyskin.answer.ask.answer`) decides whether a message escalates; the three
surfaces only render it. Each row of ``red_flag_phrasings.tsv`` (and the mixed question-and-warning
messages below) goes through ``babyskin ask --json``, ``POST /v1/ask`` and the web ``POST /ask`` page,
whose banner carries ``data-triage="LEVEL"``: the three levels must be equal and reach the row's floor.
"""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from babyskin.cli import app as cli_app
from babyskin.models import TriageLevel
from tests.safety.test_phrasings import ROWS

MIXED = [  # a question or a comparison that also carries a warning sign
    ("compare-purple", "impetigo or scabies? purple spots", TriageLevel.emergency),
    ("question-non-blanching", "what causes spots that don't fade under a glass?", TriageLevel.emergency),
    ("compare-floppy", "is it milia or heat rash? she is floppy", TriageLevel.emergency),
]
CASES = [(r.id, r.text, r.min_triage) for r in ROWS] + MIXED
_BANNER = re.compile(r'data-triage="([a-z]+)"')
runner = CliRunner()


def cli_level(text: str) -> str | None:
    result = runner.invoke(cli_app, ["ask", text, "--json"])
    assert result.exit_code == 0, result.output
    triage = json.loads(result.output)["triage"]
    return triage["level"] if triage else None


def api_level(api: TestClient, text: str) -> str | None:
    response = api.post("/v1/ask", json={"text": text})
    assert response.status_code == 200, response.text
    triage = response.json()["triage"]
    return triage["level"] if triage else None


def web_level(api: TestClient, text: str) -> str | None:
    response = api.post("/ask", data={"q": text, "audience": "parent"}, follow_redirects=False)
    assert response.status_code == 200, f"{text!r}: {response.status_code} {response.headers}"
    found = _BANNER.findall(response.text)
    return found[0] if found else None


@pytest.mark.parametrize(("case_id", "text", "floor"), CASES, ids=[c[0] for c in CASES])
def test_every_surface_gives_the_same_triage(api: TestClient, case_id: str, text: str,
                                             floor: TriageLevel) -> None:
    levels = {"cli": cli_level(text), "api": api_level(api, text), "web": web_level(api, text)}
    assert len(set(levels.values())) == 1, f"{text!r}: {levels}"
    level = levels["api"]
    assert level is not None and TriageLevel(level).rank >= floor.rank, f"{text!r}: {levels}"
