"""The Jinja2 environment of the web pages (autoescaped) and ``render`` -> an HTML response.

Templates ship inside the package (``babyskin/web/templates``). Every page gets ``audience`` (from
the visit cookie), ``disclaimer`` and ``path`` in its context; a page's own context wins.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from babyskin.answer.render import DISCLAIMER, TRIAGE_TITLE
from babyskin.models import Audience

AUDIENCE_COOKIE = "babyskin_audience"


def percent(value: float) -> str:
    """0.934 -> '93%'; anything above 0 but under 1% shows as '<1%' so it never reads as impossible."""
    if 0 < value < 0.005:
        return "<1%"
    return f"{value:.0%}"


def bar_class(value: float) -> str:
    """A CSS class for a likelihood bar in 5% steps (inline styles are blocked by the CSP)."""
    step = max(0, min(100, round(value * 20) * 5))
    if value > 0 and step == 0:
        step = 1
    return f"w{step}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("babyskin.web", "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["percent"] = percent
    env.filters["bar_class"] = bar_class
    env.globals["TRIAGE_TITLE"] = TRIAGE_TITLE
    return env


def audience_of(request: Request) -> Audience:
    """The audience chosen for this visit (cookie), parent by default."""
    value = request.cookies.get(AUDIENCE_COOKIE, "")
    return Audience.clinician if value == Audience.clinician.value else Audience.parent


def render(request: Request, name: str, context: dict[str, Any] | None = None, *,
           status: int = 200, audience: Audience | None = None) -> HTMLResponse:
    """Render a template to an HTML response; sets the audience cookie when ``audience`` is given."""
    chosen = audience or audience_of(request)
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    data: dict[str, Any] = {"audience": chosen.value, "disclaimer": DISCLAIMER,
                            "path": request.url.path, "here": here}
    data.update(context or {})
    html = environment().get_template(name).render(**data)
    response = HTMLResponse(html, status_code=status)
    if audience is not None and request.cookies.get(AUDIENCE_COOKIE) != audience.value:
        # A session cookie: "kept for the visit", gone when the browser closes.
        response.set_cookie(AUDIENCE_COOKIE, audience.value, httponly=True, samesite="lax", path="/")
    return response
