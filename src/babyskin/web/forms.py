"""Form bodies -> validated values: size-capped reading, audience, ages, the question text.

Forms are read here rather than with ``request.form()`` so the size limit also holds for bodies
sent without a ``Content-Length`` (chunked), and so only URL-encoded forms are accepted.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qs

from fastapi import Request

from babyskin.errors import InputError
from babyskin.models import Audience

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 32 * 1024
MAX_FIELDS = 300
MAX_QUESTION_CHARS = 2000
AGE_UNITS: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 30.4375}
MAX_AGE_DAYS_ENTERED = 5 * 366


class TooLarge(InputError):
    """The form body is over :data:`MAX_FORM_BYTES` (answered with 413)."""


class Form:
    """A parsed URL-encoded form: ``get`` one value, ``getlist`` all values of a field."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        values = self.fields.get(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        return [v for v in self.fields.get(name, []) if v]


def parse_form(body: bytes) -> Form:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("the form is not valid UTF-8 text; send it from the page's form") from None
    try:
        fields = parse_qs(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise InputError(f"the form has more than {MAX_FIELDS} fields; send it from the page's form"
                         ) from None
    return Form(fields)


async def read_form(request: Request, limit: int = MAX_FORM_BYTES) -> Form:
    """The request's URL-encoded form, refusing bodies over ``limit`` bytes as they stream in."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type and content_type != FORM_TYPE:
        raise InputError(f"expected a form ({FORM_TYPE}), got '{content_type}'")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the form is over {limit // 1024} KB; shorten the text and send it again")
        chunks.append(chunk)
    return parse_form(b"".join(chunks))


def audience_from(value: str, fallback: Audience) -> Audience:
    """``parent`` / ``clinician`` from a form field; anything else keeps ``fallback``."""
    try:
        return Audience(value.strip().lower())
    except ValueError:
        return fallback


def question_text(value: str) -> str:
    """The home page's question, stripped of control characters and capped in length."""
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in value).strip()
    if not text:
        raise InputError("Please describe the spots: where they are, what they look like and your"
                         " baby's age.")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(f"That is {len(text)} characters; please keep the description under"
                         f" {MAX_QUESTION_CHARS}.")
    return text


def days_from(number: str, unit: str, *, what: str) -> int | None:
    """'3' + 'weeks' -> 21 days; empty -> None (unknown). Messages say how to fix the entry."""
    number = number.strip()
    if not number:
        return None
    if unit not in AGE_UNITS:
        raise InputError(f"{what}: choose days, weeks or months")
    try:
        value = float(number.replace(",", "."))
    except ValueError:
        raise InputError(f"{what}: enter a number, like 3") from None
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{what}: enter a number of 0 or more")
    days = round(value * AGE_UNITS[unit])
    if days > MAX_AGE_DAYS_ENTERED:
        raise InputError(f"{what}: {number} {unit} is longer than babyskin covers (0 to 24 months)")
    return days


def local_path(value: str, default: str = "/") -> str:
    """A same-site path to redirect to (never another host: no open redirect)."""
    if value.startswith("/") and not value.startswith("//") and "\\" not in value and "\n" not in value:
        return value
    return default


def cross_site(request: Request) -> bool:
    """A form sent from another site (the browser says so in ``Sec-Fetch-Site``): never acted on, so
    another site cannot switch a parent to the clinician view, ask in their name, or open its own diary
    in this browser. ``Origin`` cannot be used: under ``Referrer-Policy: no-referrer`` browsers send
    ``Origin: null`` with form POSTs. No header (an older browser, curl) is treated as same-site.
    """
    return request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none")
