"""Small text helpers shared by the CLI, the API and the text reader."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(word: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """The valid words closest to ``word`` (by spelling), best first."""
    return difflib.get_close_matches(word.lower(), list(choices), n=n, cutoff=0.5)


def split_list(value: str | None) -> list[str]:
    """'nose, cheeks' -> ['nose', 'cheeks'] (empty items dropped)."""
    if not value:
        return []
    return [part.strip().lower().replace(" ", "_").replace("-", "_") for part in value.split(",")
            if part.strip()]


AGE_UNITS = {"d": 1.0, "w": 7.0, "m": 30.4375, "y": 365.25}


def parse_age(value: str) -> int:
    """'10d', '3w', '5m', '1y' or a plain number of days -> days.

    Raises ``ValueError`` with a message that says what was wrong and what is accepted.
    """
    import re

    text = value.strip().lower().replace(" ", "")
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(d|days?|w|wks?|weeks?|m|mo|mos|months?|y|yrs?|years?)?", text)
    if not match:
        if text.startswith("-"):
            raise ValueError(f"age '{value}' is negative; give an age of 0 or more, like 10d, 3w, 5m, 1y")
        raise ValueError(
            f"cannot read the age '{value}'; write a number with a unit: 10d (days), 3w (weeks),"
            " 5m (months) or 1y (years)"
        )
    number = float(match.group(1))
    unit = (match.group(2) or "d")[0]
    return round(number * AGE_UNITS[unit])


def control_characters(value: str, *, multiline: bool = False) -> list[str]:
    """The control characters in ``value`` as ``U+XXXX`` (NUL and friends; tabs and newlines are
    allowed when ``multiline``). Stored text must have none: PostgreSQL refuses NUL outright, and the
    two back ends must answer the same (issue 17)."""
    import unicodedata

    allowed = "\n\t\r" if multiline else ""
    found = {f"U+{ord(ch):04X}" for ch in value
             if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cs")}
    return sorted(found)


def refuse_control_characters(value: str, what: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or ``ValueError`` naming the characters and the fix."""
    found = control_characters(value, multiline=multiline)
    if found:
        raise ValueError(f"{what} has control characters ({', '.join(found[:5])}) that cannot be"
                         " saved; remove them and send it again")
    return value
