"""babyskin: guideline-backed assessment and answers for small bumps and rashes on a baby's skin.

>>> from babyskin import Findings, assess
>>> result = assess(Findings(age_days=21, locations=["nose"], lesions=["papule"], colors=["white"]))
>>> result.differential[0].id, result.triage.level.value
('milia', 'home')
"""

from babyskin.engine.assess import Engine, assess
from babyskin.errors import (
    BabyskinError,
    InputError,
    KnowledgeBaseError,
    NotFound,
    StorageError,
    UnknownWordError,
)
from babyskin.kb.loader import KnowledgeBase, load_kb
from babyskin.models import Assessment, Audience, Findings, TriageLevel

__all__ = [
    "Assessment",
    "Audience",
    "BabyskinError",
    "Engine",
    "Findings",
    "InputError",
    "KnowledgeBase",
    "KnowledgeBaseError",
    "NotFound",
    "StorageError",
    "TriageLevel",
    "UnknownWordError",
    "assess",
    "load_kb",
]
