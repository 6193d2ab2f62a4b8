"""The client's side of the device sign-in: ``POST /api/v1/device/code`` starts it and
``POST /api/v1/device/token`` collects the key once the user approved (no auth on either:
the device code is the client's secret)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from caicaini.devices.errors import AuthorizationPending, SlowDown
from caicaini.devices.service import SLOW_DOWN, DeviceLoginService
from caicaini.http.deps import app_context, client_ip

router = APIRouter(tags=["device sign-in"])


class StartIn(BaseModel):
    device_name: str = Field(min_length=1, max_length=200)
    fingerprint: str | None = Field(default=None, max_length=128)


class PollIn(BaseModel):
    device_code: str = Field(min_length=1, max_length=200)


@router.post("/api/v1/device/code")
async def start(body: StartIn, request: Request) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        started = await DeviceLoginService(session, ctx.clock, ctx.settings).start(
            body.device_name, body.fingerprint, client_ip(request)
        )
    page = ctx.settings.public_url.rstrip("/") + "/device"
    return {
        "device_code": started.device_code,
        "user_code": started.user_code,
        "verification_uri": page,
        "verification_uri_complete": f"{page}?code={started.user_code}",
        "expires_in": started.expires_in,
        "interval": started.interval,
    }


@router.post("/api/v1/device/token")
async def token(body: PollIn, request: Request) -> dict[str, Any]:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        result = await DeviceLoginService(session, ctx.clock, ctx.settings).poll(body.device_code)
    if result.key is None:
        if result.wait == SLOW_DOWN:
            raise SlowDown("polling too fast; wait the interval", retry_after=result.interval)
        raise AuthorizationPending(
            "waiting for you to approve the sign-in in the browser",
            details={"interval": result.interval},
        )
    return {"api_key": result.key.key, "key_id": result.key.key_id, "key_name": result.key.key_name}
