"""POST /v1/assess and the condition endpoints."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from babyskin.answer.render import condition_json
from babyskin.api.deps import get_engine
from babyskin.engine.assess import Engine
from babyskin.errors import InputError
from babyskin.interop.fhir import assessment_bundle
from babyskin.models import Assessment, Audience, Findings
from babyskin.parse import validation_problems

router = APIRouter(prefix="/v1", tags=["assess"])


RAW_KEY_SLACK = 256
"""A raw body at most this many bytes longer than its canonical form may be a cache key too."""


class AnswerCache:
    """A bounded least-recently-used map from request bodies to serialised answers.

    ``assess`` is a pure function of (findings, audience) for one knowledge base, so the same request
    body always gets the same answer, byte for byte; the cache lives on one app (one engine, one KB
    version) and holds only bodies that validated.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._data: OrderedDict[bytes, bytes] = OrderedDict()

    def get(self, key: bytes) -> bytes | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: bytes, value: bytes) -> None:
        self._data[key] = value
        if len(self._data) > self.size:
            self._data.popitem(last=False)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]
ANSWER_HEADERS = [(b"content-type", b"application/json")]
FHIR_JSON = "application/fhir+json"


def wants_fhir(accept: str | None) -> bool:
    """True when the Accept header asks for FHIR JSON (``application/fhir+json``)."""
    return FHIR_JSON in (accept or "").lower()


class CachedAnswers:
    """Pure ASGI, inside the body limit and the security headers: a ``POST /v1/assess`` whose body was
    answered before gets the stored answer at once, without routing; any other request, and a body
    not seen before, goes on to the app (the route stores what it answers)."""

    def __init__(self, app: ASGIApp, answers: AnswerCache) -> None:
        self.app = app
        self.answers = answers

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if (scope["type"] != "http" or scope["path"] != "/v1/assess" or scope["method"] != "POST"
                or wants_fhir(dict(scope.get("headers") or ()).get(b"accept", b"").decode("latin-1"))):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        content = self.answers.get(raw)
        if content is not None:
            await send({"type": "http.response.start", "status": 200,
                        "headers": [*ANSWER_HEADERS, (b"content-length", str(len(content)).encode())]})
            await send({"type": "http.response.body", "body": content})
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.app(scope, replay, send)


EngineDep = Annotated[Engine, Depends(get_engine)]


class AssessRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    findings: Findings
    audience: Audience = Audience.parent


@router.post(
    "/assess",
    summary="Assess structured findings",
    response_class=Response,
    responses={200: {"model": Assessment, "description": (
        "The assessment; with `Accept: application/fhir+json` a FHIR R4 Bundle (see /fhir)")}},
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/AssessRequest"}}}}},
)
async def assess(request: Request) -> Response:
    """A ranked differential with reasons, triage and the red flags that drove it, advice for the
    audience and the references, best-graded first.

    The body is validated and the answer serialised by pydantic's compiled core directly (the engine
    itself takes about 0.1 ms, so the generic request and response encoders would dominate)."""
    raw = await request.body()  # a body answered before never gets here (CachedAnswers)
    try:
        body = AssessRequest.model_validate_json(raw)
    except ValidationError as error:
        problems = validation_problems(error, findings_level=False)
        raise InputError("; ".join(problems), problems=problems) from None
    engine: Engine = request.app.state.engine
    if wants_fhir(request.headers.get("accept")):
        bundle = assessment_bundle(engine.assess(body.findings, body.audience), engine.kb,
                                   request.app.state.settings.public_url)
        return Response(json.dumps(bundle, ensure_ascii=False), media_type=FHIR_JSON)
    answers: AnswerCache = request.app.state.answers
    # Keyed on the parsed request (issue 17): whitespace, key order or padding make no new entry. The
    # raw body is kept as a short-cut for CachedAnswers only when it is about the canonical size, so a
    # padded body can never pin memory.
    canonical = body.model_dump_json().encode()
    content = answers.get(canonical)
    if content is None:
        content = engine.assess(body.findings, body.audience).model_dump_json(by_alias=True).encode()
        answers.put(canonical, content)
    if raw != canonical and len(raw) <= len(canonical) + RAW_KEY_SLACK:
        answers.put(raw, content)
    return Response(content, media_type="application/json")


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
