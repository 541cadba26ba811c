"""Text clean-up before reading: safe characters, one kind of quote, and misspelt emergency words.

:func:`clean` removes control and format characters (keeping line breaks), normalises Unicode (NFKC)
and quotes, and collapses spaces. In a word written with Latin letters it also folds look-alike
letters from other scripts (Cyrillic "о", Greek "ο") to their Latin twin and strips accents and
combining marks, and a control character (a NUL) inside a word vanishes, so "not brеathing" written
with a Cyrillic "е", "breathi\u0301ng" or "brea\x00thing" all read "not breathing".

:func:`correct` repairs misspellings of the few words that decide an
emergency ("purpel" -> "purple", "breething" -> "breathing"): a word is changed only when it is not a
known word, starts with the same letter as the target and is one edit away (two for long words).
Contractions written without an apostrophe ("wont", "dont") need no repair: the tokenizer reads them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_WORD = re.compile(r"[A-Za-z]+")
_CONTROL = "\x00"
_INNER_CONTROL = re.compile(r"(?<=\w)\x00+(?=\w)")
_ANY_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[A-Za-z]")
# Letters of other scripts that look like Latin ones (Unicode's confusables, the common subset).
CONFUSABLES = str.maketrans({
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "һ": "h", "ӏ": "l",
    "ԛ": "q", "ԝ": "w", "ɡ": "g", "ı": "i", "ȷ": "j",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ү": "Y",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "γ": "y",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
})
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
    "floppy"; a control character inside a word vanishes ("brea\x00thing"), elsewhere it becomes a
    space. Words with Latin letters are folded by :func:`fold`."""
    text = unicodedata.normalize("NFKC", text).translate(QUOTES)
    text = "".join(
        ch if ch in "\n\t" or (kind := unicodedata.category(ch))[0] != "C"
        else "" if kind == "Cf" else _CONTROL  # zero-width and direction marks vanish
        for ch in text
    )
    if _CONTROL in text:
        text = _INNER_CONTROL.sub("", text).replace(_CONTROL, " ")
    text = fold(text)
    text = _BLANK_LINES.sub("\n\n", text.replace("\t", " "))
    return _SPACES.sub(" ", text).strip()


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if not _LATIN.search(unicodedata.normalize("NFKD", word)):
        return word  # a word in another script stays as written ("нос" is not "hoc")
    folded = word.translate(CONFUSABLES)
    if folded.isascii():
        return folded
    bare = "".join(ch for ch in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare)


def fold(text: str) -> str:
    """Words that use Latin letters, with look-alike letters of other scripts made Latin and accents
    and combining marks stripped ("nоt", "brèathing" -> "not", "breathing"); other words unchanged."""
    if text.isascii():
        return text
    return _ANY_WORD.sub(_fold_word, text)


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
        self.by_letter: dict[str, tuple[str, ...]] = {}
        for target in self.targets:
            self.by_letter[target[0]] = (*self.by_letter.get(target[0], ()), target)
        self.known = frozenset(w.lower() for w in known) | PROTECTED

    def _near(self, word: str) -> tuple[str, ...]:
        """Emergency words one edit (two when long) from ``word``. No cache: typed words are not kept."""
        if len(word) < 5 or word in self.known:
            return ()
        return tuple(t for t in self.by_letter.get(word[0], ())
                     if edit_distance(word, t, 2 if len(t) >= 9 else 1) <= (2 if len(t) >= 9 else 1))

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
