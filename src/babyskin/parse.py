"""Raw input (CLI options, JSON bodies) -> validated :class:`~babyskin.models.Findings`.

Every failure becomes an :class:`~babyskin.errors.InputError` whose message names the field, what
was wrong and what is accepted.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from babyskin.errors import InputError
from babyskin.models import Findings
from babyskin.text import parse_age, split_list


def validation_problems(error: ValidationError, *, findings_level: bool = True) -> list[str]:
    """Pydantic errors -> 'where: what (got ...)' lines; ``findings_level``: the body is a Findings."""
    problems = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "body"
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
            if item["loc"][:1] == ("findings",) or (len(item["loc"]) == 1 and findings_level):
                message += f"; allowed findings fields: {', '.join(Findings.model_fields)}"
        if item["type"] == "json_invalid":
            problems.append(f"body: the body is not valid JSON ({item['ctx'].get('error', 'parse error')})")
            continue
        if item["type"] == "json_type":
            problems.append("body: expected a JSON object")
            continue
        got = item.get("input")
        shown = "" if isinstance(got, dict | list) or got is None else f" (got {got!r})"
        problems.append(f"{where}: {message}{shown}")
    return problems


def findings_from_dict(data: Any) -> Findings:
    if not isinstance(data, dict):
        raise InputError(f"findings must be an object, got {type(data).__name__}")
    try:
        return Findings.model_validate(data)
    except ValidationError as error:
        problems = validation_problems(error)
        raise InputError("; ".join(problems), problems=problems) from None


def _age(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_age(value)
    except ValueError as error:
        raise InputError(f"--{name}: {error}") from None


def findings_from_options(
    *,
    age: str | None = None,
    where: str | None = None,
    lesion: str | None = None,
    color: str | None = None,
    size: str | None = None,
    count: str | None = None,
    present: str | None = None,
    absent: str | None = None,
    onset: str | None = None,
    duration: str | None = None,
    gestation: int | None = None,
    fever_days: int | None = None,
    temperature: float | None = None,
) -> Findings:
    data: dict[str, Any] = {
        "age_days": _age("age", age),
        "onset_days": _age("onset", onset),
        "duration_days": _age("duration", duration),
        "gestation_weeks": gestation,
        "fever_days": fever_days,
        "temperature_c": temperature,
        "locations": split_list(where),
        "lesions": split_list(lesion),
        "colors": split_list(color),
        "size": size.strip().lower() if size else None,
        "count": count.strip().lower() if count else None,
        "present": split_list(present),
        "absent": split_list(absent),
    }
    return findings_from_dict(data)
