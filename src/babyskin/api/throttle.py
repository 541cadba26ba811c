"""Abuse limits: per-client rate limits (the ``limits`` library) and the free-text worker pool.

* :class:`RateLimits` (pure ASGI, outermost after the security headers): each rule is a method, a path
  prefix and a rate such as ``30/minute``, counted per client address in a moving window; over it the
  client gets a fast 429 in the API's error shape with ``Retry-After``. The counters live in
  ``memory://`` (one process) by default; several app processes share them through a ``limits``
  storage URI such as ``redis://host:6379`` (``BABYSKIN_RATE_LIMIT_STORAGE``, docs/deploy.md). Behind
  a reverse proxy, start uvicorn with ``--proxy-headers`` so the client address is the real one.
* :class:`TextPool`: the text reader runs on a small thread pool with a bounded queue, never on the
  event loop and never on the shared thread pool that every other route uses; when the queue is full
  the caller gets :class:`Busy` (answered 503 with ``Retry-After``) at once (issue 17, finding 4).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from babyskin.errors import BabyskinError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
T = TypeVar("T")

DEFAULT_RULES: tuple[tuple[str, str, str], ...] = (
    ("POST", "/v1/ask", "60/minute"),
    ("POST", "/ask", "60/minute"),
    ("POST", "/v1/check", "240/minute"),
    ("POST", "/check", "240/minute"),
    ("POST", "/v1/diary/families", "30/minute"),
    ("POST", "/diary/start", "30/minute"),
    ("POST", "/v1/diary", "300/minute"),
    ("DELETE", "/v1/diary", "300/minute"),
    ("POST", "/diary", "300/minute"),
)
"""Method, path prefix, rate. The first matching rule counts a request (so family creation has its own,
tighter rate before the general diary-write rule)."""


class RateLimits:
    def __init__(self, app: ASGIApp, rules: tuple[tuple[str, str, str], ...] = DEFAULT_RULES,
                 storage_uri: str = "memory://") -> None:
        self.app = app
        self.rules = [(method, prefix, parse(rate), f"{method} {prefix}") for method, prefix, rate in rules]
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def rule_for(self, method: str, path: str) -> tuple[Any, str] | None:
        for rule_method, prefix, item, name in self.rules:
            if method == rule_method and (path == prefix or path.startswith(prefix.rstrip("/") + "/")):
                return item, name
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = self.rule_for(scope.get("method", ""), scope.get("path", ""))
        if rule is not None:
            item, name = rule
            client = (scope.get("client") or ("unknown", 0))[0]
            if not self.limiter.hit(item, name, client):
                reset = self.limiter.get_window_stats(item, name, client).reset_time
                await _refuse(send, 429, f"too many requests: at most {item} for {name}; wait and try"
                              " again", retry_after=reset)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, problem: str, *, retry_after: float | None = None) -> None:
    import time

    body = json.dumps({"ok": False, "error": problem, "errors": [problem], "status": status}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after is not None:
        headers.append((b"retry-after", str(max(1, round(retry_after - time.time()))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Busy(BabyskinError):
    """The free-text pool's queue is full: answered 503 with ``Retry-After`` at once."""


class TextPool:
    """``workers`` threads for the text reader and at most ``queue`` more requests waiting for one."""

    def __init__(self, workers: int = 2, queue: int = 8) -> None:
        self.workers = workers
        self.capacity = workers + queue
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="babyskin-text")
        self._slots = threading.BoundedSemaphore(self.capacity)

    async def run(self, work: Callable[[], T]) -> T:
        if not self._slots.acquire(blocking=False):
            raise Busy("the server is busy reading other messages; try again in a few seconds")
        try:
            future = self._executor.submit(work)
        except BaseException:
            self._slots.release()
            raise
        future.add_done_callback(lambda _f: self._slots.release())
        return await asyncio.wrap_future(future)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
