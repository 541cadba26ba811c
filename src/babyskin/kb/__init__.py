"""The knowledge base: validated data files (``kb/data``) loaded into typed records."""

from babyskin.kb.loader import KnowledgeBase, load_kb

__all__ = ["KnowledgeBase", "load_kb"]
