"""One JSON error shape for every endpoint: ``{"ok": false, "error", "errors", "status"}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from babyskin.api.throttle import Busy
from babyskin.errors import BabyskinError, InputError, NotFound, StorageError

log = logging.getLogger("babyskin.api")
UNAVAILABLE = ("the diary database is not available right now; try again in a minute (for the server's"
               " operator: the log says why; check BABYSKIN_DATABASE_URL and that the database is running)")
"""The one 503 body: the driver, database user, host, port and name stay in the log (issue 17)."""


def error_response(status: int, problems: list[str]) -> JSONResponse:
    return JSONResponse(
        {"ok": False, "error": "; ".join(problems), "errors": problems, "status": status},
        status_code=status,
    )


def _validation_problems(exc: RequestValidationError) -> list[str]:
    problems = []
    for item in exc.errors():
        loc = [str(p) for p in item.get("loc", ()) if p != "body"]
        where = ".".join(loc) or "body"
        message = str(item.get("msg", "invalid")).removeprefix("Value error, ")
        if item.get("type") == "extra_forbidden":
            message = "unknown field"
        if item.get("type") == "json_invalid":
            message = "the body is not valid JSON"
        problems.append(f"{where}: {message}")
    return problems or ["invalid request"]


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, _validation_problems(exc))

    @app.exception_handler(InputError)
    async def _bad_input(_request: Request, exc: InputError) -> JSONResponse:
        return error_response(422, exc.problems)

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return error_response(404, exc.problems)

    @app.exception_handler(StorageError)
    async def _storage(_request: Request, exc: StorageError) -> JSONResponse:
        log.warning("diary storage: %s", exc)  # store messages never hold diary text
        return error_response(503, [UNAVAILABLE])

    @app.exception_handler(Busy)
    async def _busy(_request: Request, exc: Busy) -> JSONResponse:
        response = error_response(503, exc.problems)
        response.headers["retry-after"] = "5"
        return response

    @app.exception_handler(BabyskinError)
    async def _other(_request: Request, exc: BabyskinError) -> JSONResponse:
        return error_response(500, exc.problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, [str(exc.detail)])

    @app.exception_handler(Exception)
    async def _crash(_request: Request, exc: Exception) -> JSONResponse:
        log.error("internal error: %s", type(exc).__name__)
        return error_response(
            500,
            ["internal error: we could not assess this. If your baby seems unwell, has a fever"
             " under 3 months, or a rash that does not fade under a glass, get medical help now."],
        )
