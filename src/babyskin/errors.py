"""All babyskin exceptions.

The tree::

    BabyskinError                 root: the CLI and API catch this at the edge
    ├── KnowledgeBaseError        the knowledge base failed to load or validate (lists every problem)
    ├── InputError                the caller's input is wrong (names the problem and the fix)
    │   └── UnknownWordError      a word that is not in the findings vocabulary (suggests near ones)
    ├── NotFound                  an id that does not exist (condition, child, entry)
    └── StorageError              the diary store failed or is unavailable
"""

from __future__ import annotations


class BabyskinError(Exception):
    """Root of every error babyskin raises on purpose."""

    def __init__(self, message: str, *, problems: list[str] | None = None) -> None:
        self.problems = problems or [message]
        super().__init__(message)

    @property
    def message(self) -> str:
        return str(self)


class KnowledgeBaseError(BabyskinError):
    """The knowledge base did not validate; ``problems`` holds every problem found."""


class InputError(BabyskinError):
    """Bad input from a person or a client."""


class UnknownWordError(InputError):
    """A word outside the findings vocabulary."""


class NotFound(BabyskinError):
    """A requested id does not exist."""


class StorageError(BabyskinError):
    """The store could not be read or written."""
