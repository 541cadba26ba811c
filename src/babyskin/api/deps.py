"""Shared request dependencies: the engine and settings live on ``app.state``."""

from __future__ import annotations

from fastapi import Request

from babyskin.engine.assess import Engine


async def get_engine(request: Request) -> Engine:
    return request.app.state.engine
