"""A babyskin server on loopback for the safety runners: started, waited for, always stopped.

The server runs ``babyskin serve`` in its own process on ``127.0.0.1`` and a free port, with its diary
in a temporary SQLite file. Nothing is ever sent anywhere but loopback.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

HOST = "127.0.0.1"
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {timeout_s:.0f} s")


@dataclass(frozen=True)
class Server:
    base_url: str
    database_url: str
    process: subprocess.Popen[bytes]


@contextmanager
def loopback_server(*, load_nlp: bool = True, database_url: str | None = None,
                    env: dict[str, str] | None = None) -> Iterator[Server]:
    """``babyskin serve`` on 127.0.0.1 for the duration of the ``with`` block."""
    with tempfile.TemporaryDirectory(prefix="babyskin-safety-") as folder:
        port = free_port()
        url = database_url or f"sqlite:///{Path(folder) / 'diary.db'}"
        env = {**os.environ, "BABYSKIN_DATABASE_URL": url, "BABYSKIN_LOAD_NLP": "1" if load_nlp else "0",
               "BABYSKIN_DATA_DIR": folder, **(env or {})}
        log = open(Path(folder) / "server.log", "wb")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [str(BIN / "babyskin"), "serve", "--host", HOST, "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://{HOST}:{port}"
        try:
            wait_until_up(base + "/healthz")
            yield Server(base_url=base, database_url=url, process=process)
        except RuntimeError:
            log.flush()
            sys.stderr.write((Path(folder) / "server.log").read_text(errors="replace")[-3000:])
            raise
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
            log.close()
