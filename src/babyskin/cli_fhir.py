"""``babyskin fhir ...``: the findings Questionnaire and a QuestionnaireResponse as FHIR R4 JSON."""

from __future__ import annotations

import typer

from babyskin import cli_options as opt
from babyskin.cli_output import emit_json, fail
from babyskin.errors import BabyskinError

fhir_app = typer.Typer(help="HL7 FHIR R4: the findings Questionnaire and QuestionnaireResponses.",
                       no_args_is_help=True)


def _kb_and_base():
    from babyskin.engine.assess import default_engine
    from babyskin.settings import Settings

    try:
        return default_engine().kb, Settings.from_env().public_url
    except BabyskinError as error:
        fail(error)


@fhir_app.command("questionnaire")
def questionnaire() -> None:
    """Print the findings vocabulary as an SDC Questionnaire (one item per findings field)."""
    from babyskin.interop.fhir import questionnaire as build

    kb, base = _kb_and_base()
    emit_json(build(kb, base))


@fhir_app.command("questionnaire-response")
def questionnaire_response(
    age: opt.Age = None,
    where: opt.Where = None,
    lesion: opt.Lesion = None,
    color: opt.Color = None,
    size: opt.Size = None,
    count: opt.Count = None,
    present: opt.Present = None,
    absent: opt.Absent = None,
    onset: opt.Onset = None,
    duration: opt.Duration = None,
    gestation: opt.Gestation = None,
    fever_days: opt.FeverDays = None,
    temperature: opt.Temperature = None,
) -> None:
    """Print the QuestionnaireResponse for these findings (the same options as ``babyskin assess``)."""
    from babyskin.engine.assess import check_findings
    from babyskin.interop.fhir import questionnaire_response as build
    from babyskin.parse import findings_from_options

    kb, base = _kb_and_base()
    try:
        findings = findings_from_options(
            age=age, where=where, lesion=lesion, color=color, size=size, count=count, present=present,
            absent=absent, onset=onset, duration=duration, gestation=gestation, fever_days=fever_days,
            temperature=temperature)
        check_findings(kb, findings)
    except BabyskinError as error:
        fail(error)
    emit_json(build(findings, kb, base))
