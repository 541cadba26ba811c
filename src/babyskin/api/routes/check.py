"""GET /v1/compare and POST /v1/check (the stateless guided check)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from babyskin.answer.compare import compare as run_compare
from babyskin.answer.render import assessment_json
from babyskin.api.deps import get_engine
from babyskin.engine.assess import Engine
from babyskin.engine.guided import SCREEN_ID, Answer, answer_screen, apply_answer, next_step
from babyskin.errors import InputError
from babyskin.models import Audience, Findings

router = APIRouter(prefix="/v1", tags=["guided"])
EngineDep = Annotated[Engine, Depends(get_engine)]


@router.get("/compare", summary="Compare two to four conditions side by side")
def compare(engine: EngineDep, ids: Annotated[str, Query(description="e.g. milia,neonatal_acne")]
            ) -> dict[str, Any]:
    return run_compare(engine.kb, ids.split(","))


class CheckAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    finding: str = Field(description="the question's finding ('screen' for the screening question)")
    answer: Answer
    ticked: list[str] = Field(default=[], description="screening question: the signs ticked")


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: Findings = Findings()
    asked: list[str] = Field(default=[], description="findings already asked (including 'not sure')")
    answer: CheckAnswer | None = Field(default=None, description="the answer to the last question")
    audience: Audience = Audience.parent


@router.post("/check", summary="The guided check, one step at a time (stateless)")
def check(body: CheckRequest, engine: EngineDep) -> dict[str, Any]:
    """Send the findings so far and the questions already asked (plus, optionally, the answer to the
    last question); get the next question, or the final answer when the check is settled. The
    returned ``findings`` and ``asked`` are what to send next time."""
    findings, asked = body.findings, list(body.asked)
    if body.answer is not None:
        word = body.answer.finding
        if word == SCREEN_ID:
            findings = answer_screen(findings, body.answer.answer, body.answer.ticked)
        elif word not in engine.kb.findings:
            raise InputError(f"answer.finding: unknown finding '{word}'")
        else:
            findings = apply_answer(findings, word, body.answer.answer)
        if word not in asked:
            asked.append(word)
    step = next_step(engine, findings, tuple(asked), body.audience)
    return {
        "done": step.done,
        "question": step.question.model_dump() if step.question else None,
        "findings": findings.model_dump(mode="json"),
        "asked": asked,
        "stop_reason": step.stop_reason,
        "assessment": assessment_json(step.assessment),
    }
