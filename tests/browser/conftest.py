"""Browser fixtures: a real server (uvicorn, free loopback port) and Debian's Chromium via Playwright.

The server runs as ``python -m babyskin serve`` exactly as ``make run`` starts it, with its own SQLite
file and its output captured to a log file, so tests can check what the server logged. Chromium is
``/usr/bin/chromium`` (``apt-get install -y chromium``; ``make test`` installs it when missing);
without it these tests are skipped with that instruction. Screenshots go to
``test-output/screenshots/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
MOBILE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
START_TIMEOUT_S = 180.0



def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    port = free_port()
    log = folder / "server.log"
    env = {**os.environ, "BABYSKIN_DATABASE_URL": f"sqlite:///{folder / 'babyskin.db'}"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "babyskin", "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(base + "/healthz", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.2)
        yield Server(base, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium`"
                    " (`make test` does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Watch:
    """What a page did: every request URL and every console message (CSP violations show here)."""

    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)

    def foreign(self, base: str) -> list[str]:
        return [u for u in self.requests if not (u.startswith(base + "/") or u == base
                                                  or u.startswith("data:"))]


@dataclass
class Session:
    context: BrowserContext
    page: Page
    watch: Watch
    base: str

    def goto(self, path: str) -> None:
        self.page.goto(self.base + path)

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_session(browser: Browser, server: Server) -> Iterator[Callable[..., Session]]:
    """``open_session(viewport=MOBILE, javascript=True)`` -> a fresh browser context on the server."""
    contexts: list[BrowserContext] = []

    def make(viewport: dict[str, int] = MOBILE, javascript: bool = True) -> Session:
        context = browser.new_context(viewport=viewport, java_script_enabled=javascript,
                                      device_scale_factor=1)
        contexts.append(context)
        page = context.new_page()
        watch = Watch()
        page.on("request", lambda request: watch.requests.append(request.url))
        page.on("console", lambda message: watch.console.append(f"{message.type}: {message.text}"))
        return Session(context, page, watch, server.base)

    yield make
    for context in contexts:
        context.close()
