from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from babyskin.engine.assess import Engine
from babyskin.kb.loader import KnowledgeBase, load_kb

ROOT = Path(__file__).resolve().parents[1]
# Tests never write to the home folder: babyskin's data folder (secret key, default diary) is a
# scratch folder for this run (issue 17).
os.environ.setdefault("BABYSKIN_DATA_DIR", tempfile.mkdtemp(prefix="babyskin-test-data-"))
os.environ.setdefault("BABYSKIN_CACHE_DIR", tempfile.mkdtemp(prefix="babyskin-test-cache-"))
SHARED = ROOT.parent / "shared"
DEV_CASES = SHARED / "eval" / "dev_cases.yaml"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb(full=True)


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb)
