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
