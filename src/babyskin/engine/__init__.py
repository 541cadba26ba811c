"""The assessment engine: pure, deterministic functions over a loaded knowledge base."""
