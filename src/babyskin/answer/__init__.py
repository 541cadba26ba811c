"""Compose answers for a parent or a clinician from knowledge-base statements only."""
