"""Who is calling: the API key from ``x-api-key`` or ``Authorization: Bearer``.

Order of checks, cheapest first: a throttle on addresses that sent many bad keys, the key's
shape and checksum (no database), then the cached record (one indexed query on a miss). The
answer to any bad key is the same "invalid API key" so callers learn nothing about why.
"""

from __future__ import annotations

from fastapi import Request

from caicaini.api_keys import keyformat
from caicaini.api_keys.cache import KeyRecord
from caicaini.api_keys.errors import InvalidApiKey
from caicaini.api_keys.service import ApiKeyService
from caicaini.context import AppContext
from caicaini.errors import AccountUnavailable, RateLimited
from caicaini.gateway.state import GatewayState
from caicaini.http.deps import client_ip

FAILURE_WINDOW_SECONDS = 60
MAX_FAILURES_PER_WINDOW = 20


def presented_key(request: Request) -> str | None:
    key = request.headers.get("x-api-key")
    if key:
        return key.strip()
    auth = request.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


async def authenticate(request: Request, ctx: AppContext, state: GatewayState) -> KeyRecord:
    ip_bucket = "ip:" + client_ip(request)
    limiter = state.limiter
    if await limiter.failures(ip_bucket, FAILURE_WINDOW_SECONDS) >= MAX_FAILURES_PER_WINDOW:
        raise RateLimited(
            "too many requests with invalid API keys from this address; slow down",
            retry_after=FAILURE_WINDOW_SECONDS,
        )
    key = presented_key(request)
    record = await _lookup(key, ctx, state) if key else None
    now = ctx.clock.now()
    if record is None or not record.usable or (record.expires_at and record.expires_at <= now):
        await limiter.note_failure(ip_bucket, FAILURE_WINDOW_SECONDS)
        if key is None:
            raise InvalidApiKey(
                "missing API key: send it in the x-api-key header or as Authorization: Bearer"
            )
        raise InvalidApiKey("invalid API key")
    if record.account_status != "active":
        raise AccountUnavailable(
            f"this account is {record.account_status}; its API keys are disabled",
            details={"status": record.account_status},
        )
    return record


async def _lookup(key: str, ctx: AppContext, state: GatewayState) -> KeyRecord | None:
    if not keyformat.well_formed(key):
        return None
    digest = keyformat.key_hash(key)
    hit, record = state.keys.get(digest)
    if hit:
        return record

    async def load() -> KeyRecord | None:
        async with ctx.read() as session:
            found = await ApiKeyService(session, ctx.clock).record_for(digest)
        state.keys.put(digest, found)
        return found

    return await state.loads.load(("key", digest), load)
