"""babyskin in HL7 FHIR R4: the findings as a Questionnaire, answers as a QuestionnaireResponse, and an
assessment as a Bundle (type ``collection``).

Every function here is pure: it turns the knowledge base, findings or an assessment into plain FHIR JSON
(dicts) and back. The resources validate with ``fhir.resources`` (R4B models, wire-compatible with R4);
the tests check that for every resource built here.

The Questionnaire follows the Structured Data Capture conventions: one item per findings field, its
``linkId`` the field name of ``../shared/eval/findings.tsv``; list fields repeat and take codings from the
``babyskin-findings`` CodeSystem (``display`` is the parent's wording, the designation the clinician's
term); numbers carry their UCUM unit.

The Bundle holds, in order:

1. the ``QuestionnaireResponse`` the assessment rests on (``RiskAssessment.basis``);
2. a ``RiskAssessment``: one ``prediction`` per condition of the differential, its ``outcome`` coded in
   ICD-10-CM (``http://hl7.org/fhir/sid/icd-10-cm``; no SNOMED CT code is given because none has been
   verified against a published value set yet), ``probabilityDecimal``, ``qualitativeRisk`` (the
   condition's own triage level) and a ``rationale`` naming the findings for and against; ``mitigation``
   carries the action;
3. an ``Observation`` of the triage: ``code`` ``babyskin-triage#triage-level``, ``valueCodeableConcept``
   one of ``emergency | urgent | soon | home`` in the ``babyskin-triage`` CodeSystem, the action in
   ``note`` and the red flags and reasons in ``component``/``interpretation`` text;
4. one ``Citation`` per reference behind the answer (title, publisher, year, URL and evidence grade).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from babyskin.errors import InputError
from babyskin.kb.loader import KnowledgeBase
from babyskin.models import MAX_AGE_DAYS, Assessment, FindingGroup, Findings, TriageLevel
from babyskin.parse import findings_from_dict

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
UCUM = "http://unitsofmeasure.org"
ITEM_CONTROL = "http://hl7.org/fhir/StructureDefinition/questionnaire-itemControl"
ITEM_CONTROL_SYSTEM = "http://hl7.org/fhir/questionnaire-item-control"
UNIT_EXTENSION = "http://hl7.org/fhir/StructureDefinition/questionnaire-unit"
QUESTIONNAIRE_ID = "babyskin-findings"
NAMESPACE = uuid.UUID("5d0f6a52-6a8e-4d9a-9f64-1b0f2c3d4e5f")  # for stable resource ids

TRIAGE_DISPLAY: dict[TriageLevel, str] = {
    TriageLevel.emergency: "Emergency: call emergency services or go to hospital now",
    TriageLevel.urgent: "Urgent: a doctor within hours, today",
    TriageLevel.soon: "Soon: a doctor visit within days",
    TriageLevel.home: "Home care: see a doctor if it persists or worsens",
}

# field -> (item type, lay text, clinical text, UCUM unit or None)
NUMBERS: dict[str, tuple[str, str, str, str | None]] = {
    "age_days": ("integer", "How old is your baby, in days?", "Age (days)", "d"),
    "onset_days": ("integer", "How old was your baby when the spots appeared, in days?",
                   "Age at onset (days)", "d"),
    "gestation_weeks": ("integer", "How many weeks pregnant were you at the birth?",
                        "Gestational age at birth (weeks)", "wk"),
    "duration_days": ("integer", "How many days have the spots been there?", "Duration (days)", "d"),
    "fever_days": ("integer", "How many days has the fever lasted?", "Fever duration (days)", "d"),
    "temperature_c": ("decimal", "What is the highest temperature you measured?",
                      "Highest temperature (Cel)", "Cel"),
}
# field -> (finding group, lay text, clinical text, repeats)
CHOICES: dict[str, tuple[FindingGroup, str, str, bool]] = {
    "locations": (FindingGroup.locations, "Where are the spots?", "Sites", True),
    "lesions": (FindingGroup.lesions, "What do the spots look like?", "Lesion types", True),
    "colors": (FindingGroup.colors, "What colour are they?", "Colours", True),
    "size": (FindingGroup.size, "How big is the largest spot?", "Size", False),
    "count": (FindingGroup.count, "How many spots are there?", "Count", False),
    "present": (FindingGroup.signs, "Which of these does your baby have?", "Findings present", True),
    "absent": (FindingGroup.signs, "Which of these were checked and are NOT there?",
               "Findings checked and absent", True),
}


def codesystem_url(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/fhir/CodeSystem/{name}"


def questionnaire_url(base: str) -> str:
    return f"{base.rstrip('/')}/fhir/Questionnaire/{QUESTIONNAIRE_ID}"


def _control(code: str) -> dict[str, Any]:
    return {"url": ITEM_CONTROL, "valueCodeableConcept": {"coding": [
        {"system": ITEM_CONTROL_SYSTEM, "code": code}]}}


def findings_codesystem(kb: KnowledgeBase, base: str) -> dict[str, Any]:
    """Every finding word: code = the word, display = plain words, designation = the clinical term."""
    return {
        "resourceType": "CodeSystem", "id": "babyskin-findings",
        "url": codesystem_url(base, "babyskin-findings"),
        "version": kb.version, "name": "BabyskinFindings", "title": "babyskin findings vocabulary",
        "status": "active", "content": "complete", "caseSensitive": True, "count": len(kb.findings),
        "concept": [{"code": word, "display": f.label,
                     "designation": [{"language": "en", "value": f.clinical}]}
                    for word, f in kb.findings.items()],
    }


def triage_codesystem(base: str) -> dict[str, Any]:
    return {
        "resourceType": "CodeSystem", "id": "babyskin-triage", "url": codesystem_url(base, "babyskin-triage"),
        "name": "BabyskinTriage", "title": "babyskin triage levels", "status": "active",
        "content": "complete", "caseSensitive": True, "count": len(TRIAGE_DISPLAY) + 1,
        "concept": [{"code": "triage-level", "display": "Triage level of a baby's rash"},
                    *({"code": level.value, "display": text} for level, text in TRIAGE_DISPLAY.items())],
    }


def questionnaire(kb: KnowledgeBase, base: str) -> dict[str, Any]:
    """The findings vocabulary as an SDC Questionnaire: one item per field."""
    system = codesystem_url(base, "babyskin-findings")
    items: list[dict[str, Any]] = []
    for field, (kind, lay, clinical, unit) in NUMBERS.items():
        item: dict[str, Any] = {"linkId": field, "text": lay, "type": kind,
                                "code": [{"system": system, "code": field, "display": clinical}]}
        if unit:
            item["extension"] = [{"url": UNIT_EXTENSION, "valueCoding": {"system": UCUM, "code": unit}}]
        if field == "age_days":
            item["required"] = True
        items.append(item)
    for field, (group, lay, clinical, repeats) in CHOICES.items():
        words = [(w, f) for w, f in kb.findings.items() if f.group is group]
        items.append({
            "linkId": field, "text": lay, "type": "choice", "repeats": repeats,
            "code": [{"system": system, "code": field, "display": clinical}],
            "extension": [_control("check-box" if repeats else "drop-down")],
            "answerOption": [{"valueCoding": {"system": system, "code": w, "display": f.label}}
                             for w, f in words],
        })
    return {
        "resourceType": "Questionnaire", "id": QUESTIONNAIRE_ID, "url": questionnaire_url(base),
        "version": kb.version, "name": "BabyskinFindings",
        "title": "A baby's skin: bumps and rashes (birth to 24 months)", "status": "active",
        "subjectType": ["Patient"],
        "description": ("The findings babyskin assesses; leave out what is not known: only the 'absent'"
                        " item lists what was checked and not found."),
        "item": items,
    }


def _answers(field: str, value: Any, system: str, kb: KnowledgeBase) -> list[dict[str, Any]]:
    if value is None or value == () or value == "":
        return []
    if field in NUMBERS:
        kind = NUMBERS[field][0]
        return [{"valueInteger": int(value)} if kind == "integer" else {"valueDecimal": float(value)}]
    words = [value] if isinstance(value, str) else list(value)
    return [{"valueCoding": {"system": system, "code": w, "display": kb.findings[w].label}} for w in words]


def questionnaire_response(findings: Findings, kb: KnowledgeBase, base: str,
                           authored: dt.date | None = None) -> dict[str, Any]:
    """These findings as answers to :func:`questionnaire` (unknown fields are left out)."""
    system = codesystem_url(base, "babyskin-findings")
    items = []
    for field in (*NUMBERS, *CHOICES):
        answers = _answers(field, getattr(findings, field), system, kb)
        if answers:
            items.append({"linkId": field, "answer": answers})
    body = findings.model_dump_json()
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse", "id": str(uuid.uuid5(NAMESPACE, body)),
        "questionnaire": questionnaire_url(base), "status": "completed", "item": items,
    }
    if authored is not None:
        resource["authored"] = authored.isoformat()
    return resource


def _answer_value(linkid: str, answer: dict[str, Any]) -> Any:
    for key in ("valueInteger", "valueDecimal"):
        if key in answer:
            return answer[key]
    if "valueCoding" in answer:
        return answer["valueCoding"].get("code")
    if "valueString" in answer:
        return answer["valueString"]
    raise InputError(f"QuestionnaireResponse item '{linkid}': an answer needs valueInteger, valueDecimal"
                     f" or valueCoding (got {', '.join(sorted(answer)) or 'nothing'})")


def findings_from_response(resource: Any, birth_date: dt.date | None = None,
                           today: dt.date | None = None) -> Findings:
    """The findings a QuestionnaireResponse carries; the age comes from ``birth_date`` when the answers
    lack it (counted to the response's ``authored`` date, else ``today``)."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "QuestionnaireResponse":
        got = resource.get("resourceType") if isinstance(resource, dict) else type(resource).__name__
        raise InputError(f"expected a FHIR QuestionnaireResponse, got {got!r}")
    questionnaire_ref = str(resource.get("questionnaire") or "")
    ours = f"Questionnaire/{QUESTIONNAIRE_ID}"
    if questionnaire_ref and not questionnaire_ref.split("|")[0].endswith(ours):
        raise InputError(f"the QuestionnaireResponse answers {questionnaire_ref!r}; babyskin reads answers"
                         f" to its own {ours} (GET /fhir/{ours})")
    data: dict[str, Any] = {}
    for item in resource.get("item") or []:
        linkid = item.get("linkId") if isinstance(item, dict) else None
        if linkid not in NUMBERS and linkid not in CHOICES:
            raise InputError(f"QuestionnaireResponse item {linkid!r} is not a babyskin findings field;"
                             f" expected one of: {', '.join([*NUMBERS, *CHOICES])}")
        values = [_answer_value(linkid, a) for a in item.get("answer") or []]
        if not values:
            continue
        repeats = linkid in CHOICES and CHOICES[linkid][3]
        if not repeats and len(values) > 1:
            raise InputError(f"QuestionnaireResponse item '{linkid}' takes one answer, got {len(values)}")
        data[linkid] = values if repeats else values[0]
    if data.get("age_days") is None and birth_date is not None:
        authored = resource.get("authored")
        on = dt.date.fromisoformat(str(authored)[:10]) if authored else (today or dt.date.today())
        data["age_days"] = (on - birth_date).days
    return findings_from_dict(data)


def _rationale(assessment: Assessment, index: int) -> str:
    cand = assessment.differential[index]
    parts = []
    if cand.for_:
        parts.append("for: " + ", ".join(r.label for r in cand.for_))
    if cand.against:
        parts.append("against: " + ", ".join(r.label for r in cand.against))
    return "; ".join(parts) or "no finding moved this condition much"


def _ref(resource: dict[str, Any]) -> str:
    return f"urn:uuid:{resource['id']}"


def assessment_bundle(assessment: Assessment, kb: KnowledgeBase, base: str,
                      authored: dt.date | None = None) -> dict[str, Any]:
    """The assessment as a FHIR Bundle of type ``collection`` (see the module docstring)."""
    response = questionnaire_response(assessment.findings, kb, base, authored)
    seed = f"{assessment.model_dump_json()}|{kb.version}"
    triage_system = codesystem_url(base, "babyskin-triage")
    level = assessment.triage.level
    risk = {
        "resourceType": "RiskAssessment", "id": str(uuid.uuid5(NAMESPACE, "risk|" + seed)),
        "status": "final",
        "code": {"coding": [{"system": triage_system, "code": "triage-level",
                             "display": "Triage level of a baby's rash"}],
                 "text": "babyskin assessment of a baby's skin bumps or rash"},
        "subject": {"display": "the baby described in the QuestionnaireResponse"},
        "method": {"text": f"babyskin knowledge base {kb.version}: a naive-Bayes differential and"
                           " red-flag rules"},
        "basis": [{"reference": _ref(response)}],
        "prediction": [{
            "outcome": {"coding": [{"system": ICD10CM, "code": cand.icd10cm, "display": cand.name}],
                        "text": cand.name},
            "probabilityDecimal": round(cand.probability, 4),
            "qualitativeRisk": {"coding": [{"system": triage_system, "code": cand.triage.value,
                                            "display": TRIAGE_DISPLAY[cand.triage]}]},
            "rationale": _rationale(assessment, i),
        } for i, cand in enumerate(assessment.differential)],
        "mitigation": assessment.triage.action,
        "note": [{"text": assessment.disclaimer}],
    }
    triage = {
        "resourceType": "Observation", "id": str(uuid.uuid5(NAMESPACE, "triage|" + seed)),
        "status": "final",
        "code": {"coding": [{"system": triage_system, "code": "triage-level",
                             "display": "Triage level of a baby's rash"}]},
        "subject": {"display": "the baby described in the QuestionnaireResponse"},
        "derivedFrom": [{"reference": _ref(response)}],
        "valueCodeableConcept": {"coding": [{"system": triage_system, "code": level.value,
                                             "display": TRIAGE_DISPLAY[level]}],
                                 "text": assessment.triage.action},
        "note": [{"text": reason} for reason in assessment.triage.reasons] or None,
        "component": [{
            "code": {"text": f"red flag: {flag.title}"},
            "valueCodeableConcept": {"coding": [{"system": triage_system, "code": flag.triage.value}]},
        } for flag in assessment.red_flags] or None,
    }
    triage = {k: v for k, v in triage.items() if v is not None}
    citations = [{
        "resourceType": "Citation", "id": str(uuid.uuid5(NAMESPACE, "cite|" + c.key)), "status": "active",
        "title": c.title, "name": c.key.replace("-", "_"),
        "publisher": c.publisher,
        "summary": [{"text": f"{c.title}. {c.publisher}{f', {c.year}' if c.year else ''}."
                             f" Evidence grade {c.evidence} ({c.kind})."}],
        **({"url": c.url} if c.url else {}),
    } for c in assessment.references]
    entries = [response, risk, triage, *citations]
    return {
        "resourceType": "Bundle", "id": str(uuid.uuid5(NAMESPACE, "bundle|" + seed)), "type": "collection",
        "entry": [{"fullUrl": _ref(r), "resource": r} for r in entries],
    }


def age_in_scope(findings: Findings) -> bool:
    return findings.age_days is None or findings.age_days <= MAX_AGE_DAYS
