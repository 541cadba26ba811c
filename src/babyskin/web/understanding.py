"""The one place where the web pages call the free-text reader (:mod:`babyskin.understand`).

``/ask`` needs the findings in a person's words, the "I understood: ..." line, what is still unknown,
the reader's notes (spelling it corrected, words it counted as present to be safe) and a conversation
token so "add more detail" can carry the findings to the next message. Everything the pages use from
the reader passes through :func:`read_text`, so a change in the reader's interface is absorbed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babyskin.engine.assess import Engine
from babyskin.errors import BabyskinError
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import Audience, Findings


class ReaderUnavailable(BabyskinError):
    """The free-text reader is not installed in this build."""


@dataclass(frozen=True)
class Reading:
    findings: Findings
    understood: str
    unknowns: tuple[str, ...]
    intent: str
    emergency: tuple[str, ...]
    conditions: tuple[str, ...]
    notes: tuple[str, ...] = ()
    conversation: str = ""
    raw: Any = None  # the reader's own result, for :func:`question_answer`


def read_text(text: str, kb: KnowledgeBase, conversation: str = "") -> Reading:
    """``text`` (plus the findings of an earlier message, if ``conversation`` carries them) -> a
    :class:`Reading`. A damaged conversation token raises :class:`~babyskin.errors.InputError`."""
    try:
        from babyskin.understand import decode_conversation, encode_conversation, understand_text
    except ImportError:
        raise ReaderUnavailable(
            "reading a typed description is not available in this build; please use the guided"
            " check instead"
        ) from None
    previous = decode_conversation(conversation, kb) if conversation.strip() else None
    result = understand_text(text, previous=previous, kb=kb)
    return Reading(
        findings=result.findings,
        understood=result.understood,
        unknowns=tuple(result.unknowns),
        intent=str(result.intent),
        emergency=tuple(result.emergency),
        conditions=tuple(result.conditions),
        notes=tuple(result.notes),
        conversation=encode_conversation(result.findings),
        raw=result,
    )


def question_answer(reading: Reading, audience: Audience, engine: Engine) -> Any:
    """The reader's composed answer to a general question (``babyskin.answer.ask.AskAnswer``):
    sections of knowledge-base statements with their references, best-graded first."""
    from babyskin.answer.ask import answer

    return answer(reading.raw, audience, engine=engine)


def escalates(reading: Reading, kb: KnowledgeBase) -> bool:
    """The same rule as ``babyskin ask`` and ``POST /v1/ask``: an emergency phrase or a red flag in the
    message means the assessment page with its triage banner, whatever the question was."""
    from babyskin.answer.ask import escalates as answer_escalates

    return reading.raw is not None and answer_escalates(kb, reading.raw)
