"""POST /v1/assess and the condition endpoints."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from babyskin.answer.render import assessment_json, condition_json
from babyskin.api.deps import get_engine
from babyskin.engine.assess import Engine
from babyskin.models import Audience, Findings

router = APIRouter(prefix="/v1", tags=["assess"])
EngineDep = Annotated[Engine, Depends(get_engine)]


class AssessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: Findings
    audience: Audience = Audience.parent


@router.post("/assess", summary="Assess structured findings")
def assess(body: AssessRequest, engine: EngineDep) -> dict[str, Any]:
    """A ranked differential with reasons, triage and the red flags that drove it, advice for the
    audience and the references, best-graded first."""
    return assessment_json(engine.assess(body.findings, body.audience))


@router.get("/conditions", summary="List the conditions")
def list_conditions(engine: EngineDep) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "name": c.name, "icd10cm": c.icd10cm, "triage": c.triage.value,
         "review_status": c.review.status.value}
        for c in engine.kb.conditions.values()
    ]


@router.get("/conditions/{condition_id}", summary="One condition in full")
def get_condition(
    condition_id: str, engine: EngineDep, audience: Audience = Audience.parent
) -> dict[str, Any]:
    return condition_json(engine.kb, engine.kb.condition(condition_id), audience)
