"""POST /v1/ask: a message in the person's own words -> what was understood and a cited answer.

The server keeps no conversation state: each answer carries a ``conversation`` token holding the
findings so far; send it back with the next message ("she also has a fever now") to add to them. A
damaged or changed token is a 422 naming the problem. spaCy and bm25s are imported on the first
request, or at start-up when ``Settings.load_nlp`` is true (:func:`load_nlp`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from babyskin.api.deps import get_engine
from babyskin.engine.assess import Engine
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import Audience

router = APIRouter(prefix="/v1", tags=["ask"])
EngineDep = Annotated[Engine, Depends(get_engine)]
MAX_TEXT_CHARS = 20_000


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(max_length=MAX_TEXT_CHARS, description="the question or description, as typed")
    audience: Audience = Audience.parent
    conversation: str | None = Field(default=None, max_length=4096,
                                     description="the token from the previous answer, to continue it")
    full: bool = Field(default=False, description="the long form, without the word and reference limits")


def load_nlp(kb: KnowledgeBase) -> None:
    """Build the text reader and the retrieval index now instead of on the first request."""
    from babyskin.answer.ask import warm_up

    warm_up(kb)


@router.post("/ask", summary="Ask in your own words")
async def ask(body: AskRequest, engine: EngineDep, request: Request) -> dict[str, Any]:
    """Starts with what was understood and what is still unknown that matters, then answers from the
    knowledge base only: an assessment, a condition's FAQs, an overview, or a comparison, with
    references. An emergency phrase anywhere in the text escalates the answer."""
    from babyskin.answer.ask import answer_text

    def work() -> dict[str, Any]:
        return answer_text(body.text, body.audience, conversation=body.conversation, engine=engine,
                           full=body.full).model_dump(mode="json")

    # the text reader runs on its own bounded pool: never on the event loop, and a full queue is a
    # fast 503 instead of a stall of every other route (issue 17)
    return await request.app.state.text_pool.run(work)
