"""Settings, built by the CLI or ``create_app()`` (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def data_folder() -> Path:
    """Where babyskin keeps its files: ``BABYSKIN_DATA_DIR``, else the user data folder."""
    from platformdirs import user_data_dir

    folder = Path(os.environ.get("BABYSKIN_DATA_DIR") or user_data_dir("babyskin", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def default_database_url() -> str:
    return f"sqlite:///{data_folder() / 'babyskin.db'}"


KEY_FILE = "secret.key"
_secret: bytes | None = None


def use_secret_key(key: str | None) -> None:
    """Use ``key`` (from settings) to sign tokens; ``None`` falls back to :func:`secret_key`'s search."""
    global _secret
    _secret = key.encode() if key else None


def secret_key() -> bytes:
    """The key that signs conversation tokens (HMAC-SHA256): ``Settings.secret_key`` or
    ``BABYSKIN_SECRET_KEY``, else a random key generated on first run into ``secret.key`` in the data
    folder (readable by its owner only). Several app processes must share one key (docs/deploy.md)."""
    global _secret
    if _secret is None:
        env = os.environ.get("BABYSKIN_SECRET_KEY")
        _secret = env.encode() if env else _key_file(data_folder() / KEY_FILE)
    return _secret


def _key_file(path: Path) -> bytes:
    import secrets

    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_bytes().strip()
        if len(key) >= 32:
            return key
        raise ValueError(f"{path} holds no usable key; delete it and babyskin makes a new one") from None
    key = secrets.token_hex(32).encode()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


@dataclass(frozen=True)
class Settings:
    kb_dir: Path | None = None
    database_url: str | None = None
    max_body_bytes: int = 64 * 1024
    load_nlp: bool = True
    public_url: str = "http://127.0.0.1:8000"  # where people reach this server (links in FHIR and CDS cards)
    rate_limits: bool = False
    """Per-client rate limits on ask, check, family creation and diary writes (api/throttle.py): on
    for a served app (``from_env``, unless ``BABYSKIN_RATE_LIMITS=0``), off for an app built in code."""
    rate_limit_storage: str = "memory://"
    """A ``limits`` storage URI; ``redis://host:6379`` shares the counters between app processes."""
    db_waiters: int = 15
    """At most this many requests wait on the database at once; the rest get a fast 503."""
    text_workers: int = 2
    text_queue: int = 8
    """Threads reading free text, and how many more requests may wait for one (then a fast 503)."""
    secret_key: str | None = None
    """Signs conversation tokens (HMAC); generated on first run into the user data folder if unset."""

    @classmethod
    def from_env(cls) -> Settings:
        kb_dir = os.environ.get("BABYSKIN_KB_DIR")
        return cls(
            kb_dir=Path(kb_dir) if kb_dir else None,
            database_url=os.environ.get("BABYSKIN_DATABASE_URL") or None,
            load_nlp=os.environ.get("BABYSKIN_LOAD_NLP", "1") != "0",
            public_url=os.environ.get("BABYSKIN_PUBLIC_URL") or cls.public_url,
            rate_limits=os.environ.get("BABYSKIN_RATE_LIMITS", "1") != "0",
            rate_limit_storage=os.environ.get("BABYSKIN_RATE_LIMIT_STORAGE") or "memory://",
            db_waiters=int(os.environ.get("BABYSKIN_DB_WAITERS") or 15),
            text_workers=int(os.environ.get("BABYSKIN_TEXT_WORKERS") or 2),
            text_queue=int(os.environ.get("BABYSKIN_TEXT_QUEUE") or 8),
            secret_key=os.environ.get("BABYSKIN_SECRET_KEY") or None,
        )

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()
