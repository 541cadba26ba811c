"""Security headers on every response: a strict Content-Security-Policy and friends.

The pages load nothing from another origin and run no inline script or style, so the policy allows
only this origin (``'self'``). The interactive API docs (``/docs``) load Swagger UI from this server
too (``fastapi-offline``), but start it with an inline script and style; that page alone gets those
allowances, still from no other origin. HTML answers are never cached (they describe a child's skin).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger("babyskin.web")
CRASH = ("internal error: we could not assess this. If your baby seems unwell, has a fever under 3 months,"
         " or a rash that does not fade under a glass, get medical help now.")

CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
])
DOCS_CSP = "; ".join([
    "default-src 'none'",
    "script-src 'self' 'unsafe-inline'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
])
DOCS_PATHS = ("/docs",)
COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "cross-origin-opener-policy": "same-origin",
}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def security_headers(path: str, content_type: str = "") -> dict[str, str]:
    """The headers to add to a response for ``path`` (pure: easy to test)."""
    headers = dict(COMMON)
    docs = path in DOCS_PATHS or path.startswith("/docs/")
    headers["content-security-policy"] = DOCS_CSP if docs else CSP
    if path.startswith("/static/"):
        headers["cache-control"] = "public, max-age=3600"
    elif content_type.startswith(("text/html", "application/json")):
        headers["cache-control"] = "no-store"  # answers and diary data: never kept by a cache
    return headers


class SecurityHeaders:
    """Pure ASGI middleware (cheaper than ``BaseHTTPMiddleware``): adds :func:`security_headers`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                content_type = next((v.decode("latin-1") for n, v in raw if n.lower() == b"content-type"),
                                    "")
                for name, value in security_headers(path, content_type).items():
                    if name.encode() not in present:
                        raw.append((name.encode(), value.encode()))
                message["headers"] = raw
            await send(message)

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            # An unhandled error would reach Starlette's outermost error layer, outside this one, and
            # its 500 would carry none of these headers (issue 17): answer here, with the headers.
            log.error("internal error: %s", type(error).__name__)
            if started:
                raise
            body = json.dumps({"ok": False, "error": CRASH, "errors": [CRASH], "status": 500}).encode()
            await send_with_headers({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
