"""FastAPI dependencies shared by routers: the application context and the client address."""

from __future__ import annotations

from fastapi import Request

from caicaini.context import AppContext


def app_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"
