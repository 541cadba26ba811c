"""Red-flag phrases in other languages (``kb/i18n/phrases.yaml``): which findings a message in
Spanish, French, Portuguese, Arabic, Polish, Urdu or Chinese names, so that a red flag is never
missed because the text is not English. Phrases are matched on folded text (lower case, accents
stripped, see :func:`babyskin.nlp.normalize.fold`); each language's list carries a review status.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import yaml

from babyskin.errors import BabyskinError
from babyskin.nlp.normalize import fold

PATH = "i18n/phrases.yaml"
SPACED = frozenset({"es", "fr", "pt", "pl"})  # languages written with spaces between words
# A phrase right after one of these (at most one word between) is denied: "no tiene fiebre".
NEGATION = {
    "es": re.compile(r"(?:^|\W)(?:no|sin|ni|nunca)(?:\s+\w+)?\s*$"),
    "fr": re.compile(r"(?:^|\W)(?:pas de|pas d'|sans|ni|aucune?|jamais)(?:\s+\w+)?\s*$"),
    "pt": re.compile(r"(?:^|\W)(?:nao|sem|nem|nunca)(?:\s+\w+)?\s*$"),
    "pl": re.compile(r"(?:^|\W)(?:nie ma|bez|nie)(?:\s+\w+)?\s*$"),
    "ar": re.compile(r"(?:^|\s)(?:لا|بدون|ليس|ليست|ما|مافي|ما في)\s*(?:\S+\s*)?$"),
    "zh": re.compile(r"(?:没有|沒有|不|无|無)$"),
}


@lru_cache(maxsize=1)
def patterns() -> dict[str, dict[str, re.Pattern[str]]]:
    """language -> finding id -> one regex of its phrases (read once)."""
    path = resources.files("babyskin.kb") / "data" / PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise BabyskinError(f"kb/{PATH}: cannot read the phrases ({error}); fix the file") from None
    out: dict[str, dict[str, re.Pattern[str]]] = {}
    for lang, record in (data or {}).items():
        if not isinstance(record, dict) or not isinstance(record.get("findings"), dict):
            raise BabyskinError(f"kb/{PATH}: '{lang}' needs a 'findings' map of finding id -> phrases")
        out[lang] = {}
        for fid, phrases in record["findings"].items():
            try:
                body = "(?:" + "|".join(phrases) + ")"
                body = rf"(?<!\w){body}(?!\w)" if lang in SPACED else body
                out[lang][fid] = re.compile(body, re.IGNORECASE)
            except re.error as error:
                raise BabyskinError(
                    f"kb/{PATH}: {lang}.{fid}: a phrase is not a valid pattern ({error})") from None
    return out


def foreign_findings(text: str, known: set[str] | frozenset[str]) -> dict[str, tuple[str, ...]]:
    """finding id -> the languages whose phrases for it occur in ``text`` (only ids in ``known``)."""
    folded = fold(text).lower()
    found: dict[str, list[str]] = {}
    for lang, table in patterns().items():
        for fid, pattern in table.items():
            if fid in known and any(not _denied(lang, folded, m.start()) for m in pattern.finditer(folded)):
                found.setdefault(fid, []).append(lang)
    return {fid: tuple(langs) for fid, langs in found.items()}


def _denied(lang: str, text: str, start: int) -> bool:
    negation = NEGATION.get(lang)
    return bool(negation and negation.search(text[max(0, start - 24):start]))
