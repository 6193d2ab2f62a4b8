"""Operations: liveness, readiness (checks the database) and Prometheus metrics."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from caicaini.errors import AuthenticationFailed, NotFound
from caicaini.http.deps import app_context

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    try:
        await app_context(request).db.ping()
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "database": type(exc).__name__}, 503)
    return JSONResponse({"status": "ready", "database": "ok"})


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    """Prometheus metrics: behind ``CAICAINI_METRICS_TOKEN`` (a bearer token) when it is set;
    in production without one, not served at all (the scraper must present a token)."""
    settings = app_context(request).settings
    token = settings.metrics_token
    if token:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            raise AuthenticationFailed("the metrics need Authorization: Bearer <metrics token>")
    elif settings.env == "production":
        raise NotFound("not found")
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
