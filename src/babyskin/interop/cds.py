"""A CDS Hooks service (https://cds-hooks.org, v2.0): babyskin's assessment as cards in a record system.

``GET /cds-services`` lists one ``patient-view`` service. Its prefetch asks for the Patient (for the
birth date) and the latest QuestionnaireResponse to babyskin's findings Questionnaire (a search, so it
may arrive as a Bundle). ``POST /cds-services/{id}`` answers with up to three cards:

* the triage, indicator ``critical`` for emergency, ``warning`` for urgent or soon, ``info`` for home;
* the differential (``info``), conditions with ICD-10-CM codes and probabilities;
* the serious causes to rule out (``must_not_miss``) when there are any (``warning``, ``critical`` when one
  of them is an emergency condition).

Every card has a source and a link to the babyskin answer page for the same findings. A request without
the QuestionnaireResponse (or a baby older than 24 months) gets an empty list of cards, as the
specification allows, never an error page. Pure functions: the HTTP routes live in ``api/routes/cds.py``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from babyskin.engine.assess import Engine
from babyskin.errors import InputError
from babyskin.interop.fhir import NAMESPACE, QUESTIONNAIRE_ID, findings_from_response, questionnaire_url
from babyskin.models import MAX_AGE_DAYS, Assessment, Audience, Findings, TriageLevel

SERVICE_ID = "babyskin-rash-assessment"
SUMMARY_MAX = 140
INDICATOR: dict[TriageLevel, str] = {
    TriageLevel.emergency: "critical",
    TriageLevel.urgent: "warning",
    TriageLevel.soon: "warning",
    TriageLevel.home: "info",
}
HEADLINE: dict[TriageLevel, str] = {
    TriageLevel.emergency: "EMERGENCY",
    TriageLevel.urgent: "URGENT (today)",
    TriageLevel.soon: "SOON (within days)",
    TriageLevel.home: "Home care",
}


def services(base: str) -> dict[str, Any]:
    """The discovery document."""
    return {"services": [{
        "hook": "patient-view",
        "id": SERVICE_ID,
        "title": "babyskin: bumps and rashes on a baby's skin",
        "description": ("Triage, a ranked differential and the serious causes to rule out for a baby"
                        " (birth to 24 months) from the answers to babyskin's findings Questionnaire."),
        "usageRequirements": (f"Record the findings with the Questionnaire {questionnaire_url(base)}"
                              " (GET /fhir/Questionnaire/babyskin-findings)."),
        "prefetch": {
            "patient": "Patient/{{context.patientId}}",
            "questionnaireResponse": (f"QuestionnaireResponse?questionnaire={questionnaire_url(base)}"
                                      "&subject={{context.patientId}}&_sort=-authored&_count=1"),
        },
    }]}


def _summary(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


def _latest_response(prefetch: dict[str, Any]) -> dict[str, Any] | None:
    """The QuestionnaireResponse in the prefetch: a resource, or the newest in a search Bundle."""
    found = []
    for value in prefetch.values():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "QuestionnaireResponse":
            found.append(value)
        elif value.get("resourceType") == "Bundle":
            found += [e.get("resource") for e in value.get("entry") or []
                      if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                      and e["resource"].get("resourceType") == "QuestionnaireResponse"]
    ours = [r for r in found if str(r.get("questionnaire") or "").split("|")[0].endswith(
        f"Questionnaire/{QUESTIONNAIRE_ID}")]
    if not ours:
        return None
    return max(ours, key=lambda r: str(r.get("authored") or ""))


def _birth_date(prefetch: dict[str, Any]) -> dt.date | None:
    for value in prefetch.values():
        if isinstance(value, dict) and value.get("resourceType") == "Patient" and value.get("birthDate"):
            try:
                return dt.date.fromisoformat(str(value["birthDate"])[:10])
            except ValueError:
                return None
    return None


def answer_link(base: str, findings: Findings) -> str:
    """The babyskin answer page for these findings (GET /answer with the ``assess`` parameters)."""
    params: dict[str, str] = {}
    numbers = {"age": findings.age_days, "onset": findings.onset_days, "duration": findings.duration_days,
               "gestation": findings.gestation_weeks, "fever_days": findings.fever_days,
               "temperature": findings.temperature_c}
    params.update({k: str(v) for k, v in numbers.items() if v is not None})
    lists = {"where": findings.locations, "lesion": findings.lesions, "color": findings.colors,
             "present": findings.present, "absent": findings.absent}
    params.update({k: ",".join(v) for k, v in lists.items() if v})
    params.update({k: v for k, v in (("size", findings.size), ("count", findings.count)) if v})
    params["audience"] = "clinician"
    return f"{base.rstrip('/')}/answer?{urlencode(params)}"


def _card(summary: str, indicator: str, detail: str, link: str, source: dict[str, str], key: str
          ) -> dict[str, Any]:
    return {
        "uuid": str(uuid.uuid5(NAMESPACE, key)),
        "summary": _summary(summary),
        "indicator": indicator,
        "detail": detail,
        "source": source,
        "links": [{"label": "Open the babyskin answer", "url": link, "type": "absolute"}],
    }


def cards_for(assessment: Assessment, engine: Engine, base: str) -> list[dict[str, Any]]:
    """The cards for one assessment (see the module docstring)."""
    link = answer_link(base, assessment.findings)
    source = {"label": f"babyskin knowledge base {engine.kb.version}", "url": f"{base.rstrip('/')}/"}
    seed = f"{assessment.model_dump_json()}|{engine.kb.version}"
    level = assessment.triage.level
    lead = assessment.differential[0] if assessment.differential else None
    why = assessment.red_flags[0].title if assessment.red_flags else (lead.name if lead else "")
    detail = "\n".join([f"**{assessment.triage.action}**", "",
                        *(f"- {reason}" for reason in assessment.triage.reasons)])
    cards = [_card(f"{HEADLINE[level]}: {why}" if why else HEADLINE[level], INDICATOR[level], detail,
                   link, source, "triage|" + seed)]
    if assessment.differential:
        rows = [f"{c.name} ({c.icd10cm}) {c.probability:.0%}" for c in assessment.differential[:3]]
        table = "\n".join(["| condition | ICD-10-CM | probability |", "|---|---|---|",
                           *(f"| {c.name} | {c.icd10cm} | {c.probability:.0%} |"
                             for c in assessment.differential)])
        cards.append(_card("Most likely: " + "; ".join(rows), "info", table, link, source, "ddx|" + seed))
    serious = assessment.must_not_miss
    if serious:
        worst = max((s.triage for s in serious), key=lambda t: t.rank)
        names = ", ".join(s.name for s in serious)
        detail = "\n".join(f"- **{s.name}** ({s.triage}): {s.why}" for s in serious)
        cards.append(_card(f"Rule out: {names}", "critical" if worst is TriageLevel.emergency else "warning",
                           detail, link, source, "mnm|" + seed))
    return cards


def hook_response(request: Any, engine: Engine, base: str, today: dt.date) -> dict[str, Any]:
    """The answer to one hook call: ``{"cards": [...]}``; no usable prefetch gives no cards."""
    if not isinstance(request, dict):
        raise InputError("a CDS Hooks request must be a JSON object with hook, hookInstance and context")
    missing = [k for k in ("hook", "hookInstance", "context") if k not in request]
    if missing:
        raise InputError(f"CDS Hooks request: missing {', '.join(missing)}")
    if request["hook"] != "patient-view":
        raise InputError(f"this service answers the patient-view hook, got {request['hook']!r}")
    prefetch = request.get("prefetch") or {}
    if not isinstance(prefetch, dict):
        return {"cards": []}
    response = _latest_response(prefetch)
    if response is None:
        return {"cards": []}
    findings = findings_from_response(response, _birth_date(prefetch), today)
    if findings.age_days is None or findings.age_days > MAX_AGE_DAYS or findings.age_days < 0:
        return {"cards": []}
    assessment = engine.assess(findings, Audience.clinician)
    return {"cards": cards_for(assessment, engine, base)}
