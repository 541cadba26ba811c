from __future__ import annotations

from pathlib import Path

import pytest

from babyskin.engine.assess import Engine
from babyskin.kb.loader import KnowledgeBase, load_kb

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV_CASES = SHARED / "eval" / "dev_cases.yaml"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_kb(full=True)


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> Engine:
    return Engine(kb)
