"""CDS Hooks: ``GET /cds-services`` (discovery) and ``POST /cds-services/{id}`` (the patient-view hook)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import APIRouter, Request

from babyskin.errors import InputError, NotFound
from babyskin.interop.cds import SERVICE_ID, hook_response, services

router = APIRouter(prefix="/cds-services", tags=["cds-hooks"])


@router.get("", summary="CDS Hooks discovery")
def discovery(request: Request) -> dict[str, Any]:
    return services(request.app.state.settings.public_url)


@router.post("/{service_id}", summary="Call the patient-view service")
async def call_service(service_id: str, request: Request) -> dict[str, Any]:
    if service_id != SERVICE_ID:
        raise NotFound(f"no CDS service {service_id!r}; GET /cds-services lists '{SERVICE_ID}'")
    try:
        body = json.loads(await request.body())
    except ValueError as error:
        raise InputError(f"body: the body is not valid JSON ({error})") from None
    return hook_response(body, request.app.state.engine, request.app.state.settings.public_url,
                         dt.date.today())
