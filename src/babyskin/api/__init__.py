"""The HTTP API and web app (FastAPI)."""
