"""Red-flag messages in other languages reach their level (kb/i18n/phrases.yaml)."""

from __future__ import annotations

import pytest

from babyskin.answer.ask import answer_text
from babyskin.models import TriageLevel
from babyskin.nlp.foreign import patterns

NON_BLANCHING_WITH_FEVER = [
    "Mi bebé tiene manchas moradas que no desaparecen con el vaso y tiene fiebre",
    "Mon bébé a de la fièvre et des taches violettes qui ne disparaissent pas sous le verre",
    "O meu bebé tem febre e manchas roxas que não desaparecem com o copo",
    "طفلي عنده بقع بنفسجية لا تختفي تحت الكوب وحمى",
    "宝宝发烧，身上有紫色斑，按压不褪色",
    "Dziecko ma gorączkę i fioletowe plamy, które nie znikają pod szklanką",
    "بچے کو بخار ہے اور دھبے گلاس کے نیچے ختم نہیں ہوتے",
]


@pytest.mark.parametrize("text", NON_BLANCHING_WITH_FEVER)
def test_non_blanching_spots_in_another_language_are_an_emergency(text: str) -> None:
    result = answer_text(text)
    assert result.triage is not None and result.triage.level is TriageLevel.emergency
    assert any("another language" in note for note in result.notes)


def test_peeling_skin_with_blisters_and_fever_in_spanish_is_not_home() -> None:
    result = answer_text("La piel se le pela, tiene ampollas y fiebre")
    assert "skin_peeling" in result.findings.present
    assert result.triage is not None and result.triage.level is not TriageLevel.home


def test_every_language_list_names_known_findings() -> None:
    from babyskin.engine.assess import default_engine

    known = set(default_engine().kb.findings)
    for lang, table in patterns().items():
        assert set(table) <= known, lang


def test_a_denied_sign_in_another_language_is_not_read() -> None:
    from babyskin.nlp.foreign import foreign_findings

    assert "fever" not in foreign_findings("no tiene fiebre", {"fever"})
    assert "fever" in foreign_findings("tiene fiebre", {"fever"})
    assert "fever" not in foreign_findings("宝宝没有发烧", {"fever"})
