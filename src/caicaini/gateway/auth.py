"""Who is calling: the API key from ``x-api-key`` or ``Authorization: Bearer``.

Order of checks, cheapest first, so that traffic with no key or a made-up one is shed before
it costs a Redis or a database connection (a keyless burst must not starve paying callers):

    no key, or not our shape and checksum   401 at once: no I/O at all
    a valid key in this process's cache     admitted: no I/O either
    anything else                           the throttle on addresses that sent many bad
                                            keys (Redis), then the key's record (one
                                            indexed query on a cache miss); a bad key
                                            counts against its address

A key we do not know gets "invalid API key" and nothing more. A key we know was presented by
whoever holds it, so its refusal says why: revoked (and by what), expired, or its account
suspended, banned or closed. Nothing is said about any other account.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from caicaini.api_keys import keyformat
from caicaini.api_keys.cache import KeyRecord
from caicaini.api_keys.errors import InvalidApiKey
from caicaini.api_keys.service import ApiKeyService
from caicaini.context import AppContext
from caicaini.errors import AccountUnavailable, DomainError, RateLimited
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
    key = presented_key(request)
    if key is None:
        raise InvalidApiKey(
            "missing API key: send it in the x-api-key header or as Authorization: Bearer"
        )
    if not keyformat.well_formed(key):
        raise InvalidApiKey("invalid API key")
    now = ctx.clock.now()
    digest = keyformat.key_hash(key)
    hit, cached = state.keys.get(digest)
    if hit and cached is not None and _valid(cached, now):
        record = cached
    else:
        record = await _checked(request, ctx, state, digest, hit, cached)
    if record.account_status != "active":
        raise _unavailable(record.account_status)
    return record


def _valid(record: KeyRecord, now: datetime) -> bool:
    return record.usable and not (record.expires_at is not None and record.expires_at <= now)


async def _checked(
    request: Request,
    ctx: AppContext,
    state: GatewayState,
    digest: str,
    hit: bool,
    cached: KeyRecord | None,
) -> KeyRecord:
    """A well-formed key not known to be valid: throttled per address, then looked up."""
    ip_bucket = "ip:" + client_ip(request)
    limiter = state.limiter
    if await limiter.failures(ip_bucket, FAILURE_WINDOW_SECONDS) >= MAX_FAILURES_PER_WINDOW:
        raise RateLimited(
            "too many requests with invalid API keys from this address; slow down",
            retry_after=FAILURE_WINDOW_SECONDS,
        )
    record = cached if hit else await _lookup(digest, ctx, state)
    if record is None or not _valid(record, ctx.clock.now()):
        await limiter.note_failure(ip_bucket, FAILURE_WINDOW_SECONDS)
        raise refusal(record)
    return record


REVOKED_BY = {
    "leak_reported": "after it was reported as leaked",
    "signed_out": "when its device signed out",
    "owner": "by its owner",
}


def refusal(record: KeyRecord | None) -> DomainError:
    """Why a key that is not valid now is refused, told to the one holding it."""
    if record is None:
        return InvalidApiKey("invalid API key")
    if record.account_status != "active":
        return _unavailable(record.account_status)
    if not record.usable:
        how = REVOKED_BY.get(record.revoked_reason or "", "")
        return InvalidApiKey(
            f"this API key was revoked{' ' + how if how else ''}; create a new one on the keys "
            "page",
            details={"reason": "revoked"},
        )
    expired = f" on {record.expires_at:%Y-%m-%d %H:%M} UTC" if record.expires_at else ""
    return InvalidApiKey(
        f"this API key expired{expired}; create a new one on the keys page",
        details={"reason": "expired"},
    )


def _unavailable(status: str) -> AccountUnavailable:
    return AccountUnavailable(
        f"this account is {status}; its API keys are disabled", details={"status": status}
    )


async def _lookup(digest: str, ctx: AppContext, state: GatewayState) -> KeyRecord | None:
    async def load() -> KeyRecord | None:
        async with ctx.read() as session:
            found = await ApiKeyService(session, ctx.clock).record_for(digest)
        state.keys.put(digest, found)
        return found

    return await state.loads.load(("key", digest), load)
