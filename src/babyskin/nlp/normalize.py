"""Text clean-up before reading: safe characters, one kind of quote, and misspelt emergency words.

:func:`clean` removes control and format characters (keeping line breaks), normalises Unicode (NFKC)
and quotes, and collapses spaces. :func:`correct` repairs misspellings of the few words that decide an
emergency ("purpel" -> "purple", "breething" -> "breathing"): a word is changed only when it is not a
known word, starts with the same letter as the target and is one edit away (two for long words).
Contractions written without an apostrophe ("wont", "dont") need no repair: the tokenizer reads them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_WORD = re.compile(r"[A-Za-z]+")
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201b": "'", "\u2032": "'", "`": "'",
                        "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\u2212": "-"})
# Real words one edit away from an emergency word: never "corrected".
PROTECTED = frozenset({
    "sleeps", "breeding", "granting", "bruising", "breaths", "breath", "people", "purpose",
    "bruiser", "grunted", "poorer", "unwelcome", "breathes", "breathed", "floppier", "lethargy",
    "fewer", "fuzzy", "sever", "never", "fiver", "river", "lever", "cracker", "crackled", "poorest",
    "vomits", "swells", "sweeping", "seeping", "sleeping", "weeping", "peeling", "feeling", "bumpy",
})


def clean(text: str) -> str:
    """Printable, NFKC-normalised text with straight quotes and single spaces (line breaks kept).

    Format characters (zero-width spaces, direction marks) are dropped so "flo\u200bppy" reads as
    "floppy"; other control characters become spaces."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    text = "".join(
        ch if ch in "\n\t" or (kind := unicodedata.category(ch))[0] != "C"
        else "" if kind == "Cf" else " "  # zero-width and direction marks vanish; controls split words
        for ch in text
    )
    text = _BLANK_LINES.sub("\n\n", text.replace("\t", " "))
    return _SPACES.sub(" ", text).strip()


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours counts 1); ``limit + 1`` if over."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        prev2, prev = prev, row
    return prev[-1]


class Speller:
    """Repairs misspellings inside emergency phrases ("purpel spots" -> "purple spots").

    ``phrases`` are the literals of the emergency rules. A word is replaced only when it is not a
    ``known`` word, is close to a word of such a phrase (same first letter; one edit, two for words of
    nine letters or more) and the whole phrase then reads in the text. One-word phrases ("floppy")
    need no context.
    """

    def __init__(self, phrases: Iterable[str], known: Iterable[str]) -> None:
        self.places: dict[str, list[tuple[tuple[str, ...], int]]] = {}
        for phrase in phrases:
            tokens = tuple(w.lower() for w in _WORD.findall(phrase))
            for index, token in enumerate(tokens):
                if len(token) >= 5:
                    self.places.setdefault(token, []).append((tokens, index))
        self.targets = tuple(sorted(self.places))
        self.known = frozenset(w.lower() for w in known) | PROTECTED
        self._near = lru_cache(maxsize=4096)(self._near_words)

    def _near_words(self, word: str) -> tuple[str, ...]:
        if len(word) < 5 or word in self.known:
            return ()
        return tuple(t for t in self.targets
                     if t[0] == word[0] and edit_distance(word, t, 2 if len(t) >= 9 else 1)
                     <= (2 if len(t) >= 9 else 1))

    def _fits(self, words: list[str], at: int, target: str) -> bool:
        for tokens, index in self.places[target]:
            start = at - index
            if start < 0 or start + len(tokens) > len(words):
                continue
            if all(words[start + k] == tok for k, tok in enumerate(tokens) if k != index):
                return True
        return False

    def correct(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The text with repairs, and each (written, read as) pair."""
        matches = list(_WORD.finditer(text))
        words = [m.group(0).lower() for m in matches]
        fixes: dict[int, str] = {}
        for at, word in enumerate(words):
            for target in self._near(word):
                if self._fits(words, at, target):
                    fixes[at] = target
                    break
        if not fixes:
            return text, ()
        out, last = [], 0
        for at, target in sorted(fixes.items()):
            match = matches[at]
            out += [text[last:match.start()], target]
            last = match.end()
        out.append(text[last:])
        return "".join(out), tuple(dict.fromkeys((words[at], t) for at, t in fixes.items()))
