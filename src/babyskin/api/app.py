"""``create_app(settings)``: the FastAPI application serving the API and the web pages."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi_offline import FastAPIOffline

from babyskin.api.errors import install_error_handlers
from babyskin.api.limits import BodyLimit
from babyskin.api.throttle import RateLimits, TextPool
from babyskin.engine.assess import Engine
from babyskin.kb.loader import load_kb
from babyskin.settings import Settings, use_secret_key

VERSION = "0.1.0"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    use_secret_key(settings.secret_key)
    engine = Engine(load_kb(settings.kb_dir))
    _ = engine.model  # compile once at start-up, not on the first request
    app = FastAPIOffline(  # FastAPI with the /docs page's Swagger UI served from this server
        redoc_url=None,  # ReDoc's page fetches its vendor's logo from another site
        title="babyskin API",
        version=VERSION,
        description="Assessment and answers for small bumps and rashes on a baby's skin (0-24 months).",
    )
    app.state.settings = settings
    app.state.engine = engine
    install_error_handlers(app)

    from babyskin.api.routes import assess, check

    app.state.answers = assess.AnswerCache()
    app.add_middleware(assess.CachedAnswers, answers=app.state.answers)  # innermost: added first
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    if settings.rate_limits:
        app.add_middleware(RateLimits, storage_uri=settings.rate_limit_storage)
    app.state.text_pool = TextPool(settings.text_workers, settings.text_queue)
    from babyskin.web.security import SecurityHeaders

    app.add_middleware(SecurityHeaders)  # strict CSP and friends on every response

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, object]:
        return {"ok": True, "kb_version": engine.kb.version, "conditions": len(engine.kb.conditions)}

    @app.get("/v1/ping", tags=["meta"], include_in_schema=False)
    async def ping() -> JSONResponse:
        """A trivial endpoint: the baseline for throughput benchmarks."""
        return JSONResponse({"ok": True})

    app.include_router(assess.router)
    _register_schema(app, assess.AssessRequest)
    app.include_router(check.router)
    from babyskin.api.routes import ask

    app.include_router(ask.router)
    if settings.load_nlp:
        ask.load_nlp(engine.kb)
    from babyskin.api.routes import cds, fhir

    app.include_router(fhir.router)
    app.include_router(cds.router)
    from babyskin.api.routes import diary

    app.state.diary_store = diary.open_store(settings)  # the DB engine; connects on first use
    app.include_router(diary.router)
    from babyskin.web.pages import mount_static
    from babyskin.web.pages import router as web_router

    app.include_router(web_router)
    from babyskin.web.diary_pages import router as diary_pages_router

    app.include_router(diary_pages_router)
    mount_static(app)
    return app


def create_app_from_env() -> FastAPI:
    """``create_app`` with the ``BABYSKIN_*`` environment: the factory for running uvicorn directly
    (``uvicorn --factory babyskin.api.app:create_app_from_env --proxy-headers ...``, docs/deploy.md)."""
    return create_app(Settings.from_env())


def _register_schema(app: FastAPI, model: type) -> None:
    """Add a request model to the OpenAPI components (for routes that validate bodies themselves)."""
    from fastapi.openapi.utils import get_openapi
    from pydantic.json_schema import models_json_schema

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(title=app.title, version=app.version, description=app.description,
                             routes=app.routes)
        _, defs = models_json_schema([(model, "validation")],
                                     ref_template="#/components/schemas/{model}")
        schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
