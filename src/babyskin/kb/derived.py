"""One cached object per knowledge base (a text pipeline, a search index...), built once and shared."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from babyskin.kb.loader import KnowledgeBase

T = TypeVar("T")


class PerKb(Generic[T]):
    """``build(kb)`` for the latest knowledge-base version, built once even under concurrent calls."""

    def __init__(self, build: Callable[[KnowledgeBase], T]) -> None:
        self._build = build
        self._version: str | None = None
        self._value: T | None = None
        self._lock = threading.Lock()

    def get(self, kb: KnowledgeBase) -> T:
        value, version = self._value, self._version
        if value is not None and version == kb.version:
            return value
        with self._lock:
            if self._value is None or self._version != kb.version:
                self._value, self._version = self._build(kb), kb.version
            return self._value
