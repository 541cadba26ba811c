"""``create_app(settings)``: the FastAPI application serving the API and the web pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from babyskin.api.errors import error_response, install_error_handlers
from babyskin.engine.assess import Engine
from babyskin.kb.loader import load_kb
from babyskin.settings import Settings

VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    engine = Engine(load_kb(settings.kb_dir))
    _ = engine.model  # compile once at start-up, not on the first request
    app = FastAPI(
        title="babyskin API",
        version=VERSION,
        description="Assessment and answers for small bumps and rashes on a baby's skin (0-24 months).",
    )
    app.state.settings = settings
    app.state.engine = engine
    install_error_handlers(app)

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > settings.max_body_bytes:
            return error_response(
                413, [f"request body is {length} bytes; the limit is {settings.max_body_bytes}"]
            )
        return await call_next(request)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, object]:
        return {"ok": True, "kb_version": engine.kb.version, "conditions": len(engine.kb.conditions)}

    @app.get("/v1/ping", tags=["meta"], include_in_schema=False)
    def ping() -> JSONResponse:
        """A trivial endpoint: the baseline for throughput benchmarks."""
        return JSONResponse({"ok": True})

    from babyskin.api.routes import assess, check

    app.include_router(assess.router)
    app.include_router(check.router)
    return app
