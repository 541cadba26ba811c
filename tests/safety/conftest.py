"""Fixtures for the safety tests (the knowledge base and engine come from ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from babyskin.api.app import create_app
from babyskin.settings import Settings


def app_settings(folder: Path, database_url: str | None = None) -> Settings:
    """Settings for an in-process app with its own SQLite diary in ``folder``."""
    return Settings(database_url=database_url or f"sqlite:///{folder / 'diary.db'}", load_nlp=False)


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One in-process app for the session (the knowledge base loads once)."""
    app = create_app(app_settings(tmp_path_factory.mktemp("api")))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
