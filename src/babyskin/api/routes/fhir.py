"""FHIR R4 endpoints: the findings Questionnaire, its CodeSystems and ``$assess`` on a QuestionnaireResponse.

Errors keep the API's one error shape (``{"ok": false, "error": ..., "status": ...}``).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response

from babyskin.engine.assess import Engine
from babyskin.errors import InputError
from babyskin.interop.fhir import (
    assessment_bundle,
    findings_codesystem,
    findings_from_response,
    questionnaire,
    triage_codesystem,
)
from babyskin.models import Audience

router = APIRouter(prefix="/fhir", tags=["fhir"])
FHIR_JSON = "application/fhir+json"


def _fhir(resource: dict[str, Any]) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False), media_type=FHIR_JSON)


def _base(request: Request) -> str:
    return str(request.app.state.settings.public_url)


@router.get("/Questionnaire/babyskin-findings", summary="The findings vocabulary as a FHIR Questionnaire")
def get_questionnaire(request: Request) -> Response:
    return _fhir(questionnaire(request.app.state.engine.kb, _base(request)))


@router.get("/CodeSystem/babyskin-findings", summary="The finding words as a FHIR CodeSystem")
def get_findings_codesystem(request: Request) -> Response:
    return _fhir(findings_codesystem(request.app.state.engine.kb, _base(request)))


@router.get("/CodeSystem/babyskin-triage", summary="The triage levels as a FHIR CodeSystem")
def get_triage_codesystem(request: Request) -> Response:
    return _fhir(triage_codesystem(_base(request)))


@router.post("/QuestionnaireResponse/$assess",
             summary="Assess a QuestionnaireResponse; answers a FHIR Bundle (collection)")
async def assess_response(request: Request, audience: Audience = Audience.clinician) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError as error:
        raise InputError(f"body: the body is not valid JSON ({error})") from None
    engine: Engine = request.app.state.engine
    findings = findings_from_response(body)
    result = engine.assess(findings, audience)
    return _fhir(assessment_bundle(result, engine.kb, _base(request)))
