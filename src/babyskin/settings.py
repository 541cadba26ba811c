"""Settings, built by the CLI or ``create_app()`` (never at import)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_database_url() -> str:
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("babyskin", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'babyskin.db'}"


@dataclass(frozen=True)
class Settings:
    kb_dir: Path | None = None
    database_url: str | None = None
    max_body_bytes: int = 64 * 1024
    load_nlp: bool = True
    public_url: str = "http://127.0.0.1:8000"  # where people reach this server (links in FHIR and CDS cards)

    @classmethod
    def from_env(cls) -> Settings:
        kb_dir = os.environ.get("BABYSKIN_KB_DIR")
        return cls(
            kb_dir=Path(kb_dir) if kb_dir else None,
            database_url=os.environ.get("BABYSKIN_DATABASE_URL") or None,
            load_nlp=os.environ.get("BABYSKIN_LOAD_NLP", "1") != "0",
            public_url=os.environ.get("BABYSKIN_PUBLIC_URL") or cls.public_url,
        )

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()
