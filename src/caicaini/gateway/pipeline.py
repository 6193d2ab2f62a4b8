"""The flow of one metered message. Every face shares it (the API endpoints, whatever their
wire format, and the web chat); only the edge in front differs:

    body ── read with a size cap (413) ── JSON (400) ── [OpenAI: translate to canonical]
      │                                                            (``gateway.edge``)
    authenticate   an API key (``gateway.auth``) or a web session → ``Caller``
      │
    admit_caller   (from here on nothing knows of HTTP)
    resolve        PlanService.rate_for (cached 5 s) · API callers: plan has keys, key's models
      │
    admit          rate limits: rpm, messages/day, concurrency (one limiter call) → 429
      │
    hold           Meter.hold: quote max_price, spend caps (the account's and the key's, only
      │            when it has some), the ledger hold (one transaction;
      │            on SQLite one hop to the metering writer thread; max_tokens lowered if
      │            only part is affordable; 0 → 402)
    call upstream  routes in order; the next route only before any byte reached the client
      │
    settle         in a ``finally``: Meter.settle at upstream's real usage (one transaction:
                   ledger, usage record, signed receipt, key last-used; the balance for the
                   response header comes back with it, and is compared with the low-balance
                   alert's threshold) or release on failure

Streams (``streaming``) run the same admission and hold, then settle when the response
closes, whatever closed it: the end of the message, an upstream error, a client disconnect.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx

from caicaini.api_keys.cache import KeyRecord
from caicaini.api_keys.errors import ModelNotAllowedForKey
from caicaini.context import AppContext
from caicaini.errors import InvalidInput, PermissionDenied, UpstreamError
from caicaini.gateway.caller import Caller
from caicaini.gateway.errors import GatewayRateLimited
from caicaini.gateway.guardrails import guardrails_for
from caicaini.gateway.metering import Charge, Meter, input_bound
from caicaini.gateway.ratelimit import Admission, Limits
from caicaini.gateway.state import GatewayState, gateway_state
from caicaini.gateway.upstreams.base import Provider, UpstreamRequest, Usage
from caicaini.gateway.wire.canonical import check_canonical
from caicaini.plans.service import PlanService
from caicaini.plans.views import AccountTerms, ModelRate

T = TypeVar("T")

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
MINUTES_A_DAY = 1440


async def resolve_rate(
    ctx: AppContext, state: GatewayState, account_id: str, model: Any
) -> ModelRate:
    if not isinstance(model, str) or not model:
        raise InvalidInput("model: a model id is required", field="model")

    async def load() -> ModelRate:
        async with ctx.read() as session:
            return await PlanService(session, ctx.clock).rate_for(account_id, model)

    return await state.rates.fetch((account_id, model), load)


async def terms_for(ctx: AppContext, state: GatewayState, account_id: str) -> AccountTerms:
    async def load() -> AccountTerms:
        async with ctx.read() as session:
            return await PlanService(session, ctx.clock).terms_for(account_id)

    return await state.terms.fetch(account_id, load)


def providers_for(ctx: AppContext, rate: ModelRate) -> list[Provider]:
    registry = ctx.extras.get("providers")
    if registry is None:
        from caicaini.gateway.upstreams.registry import build_providers

        registry = ctx.extras["providers"] = build_providers(ctx.settings)
    routes: list[Provider] = registry.for_model(rate.model)
    if not routes:
        raise UpstreamError(
            f"no provider is configured for {rate.model.id}",
            status=503,
            error_type="overloaded_error",
        )
    return routes


def rate_limit_headers(admission: Admission) -> dict[str, str]:
    return {
        "anthropic-ratelimit-requests-limit": str(admission.limit),
        "anthropic-ratelimit-requests-remaining": str(admission.remaining),
        "x-ratelimit-limit-requests": str(admission.limit),
        "x-ratelimit-remaining-requests": str(admission.remaining),
        "x-ratelimit-reset-requests": f"{admission.reset_after}s",
    }


@dataclass
class Call:
    """One authenticated, admitted and held message, ready for upstream."""

    ctx: AppContext
    state: GatewayState
    caller: Caller
    rate: ModelRate
    meter: Meter
    upstream: UpstreamRequest
    routes: list[Provider]
    concurrency_bucket: str
    slot: str | None
    headers: dict[str, str] = field(default_factory=dict)

    async def finish(self) -> None:
        """Give the concurrency slot back (idempotent)."""
        slot, self.slot = self.slot, None
        if slot is not None:
            await self.state.limiter.finish(self.concurrency_bucket, slot)

    async def settle(self, usage: Usage | None, *, outcome: str) -> Charge:
        """Settle (or release) and free the slot. Runs to completion even when the request's
        task is cancelled (a client gone): the money must always be put right."""
        return await to_completion(self._settle(usage, outcome))

    async def _settle(self, usage: Usage | None, outcome: str) -> Charge:
        try:
            return await self.meter.settle(usage, outcome=outcome)
        finally:
            await self.finish()


_settling: set[asyncio.Task[Any]] = set()


async def to_completion(work: Coroutine[Any, Any, T]) -> T:
    """Await ``work`` in its own task, shielded: cancelling the caller does not stop it."""
    task = asyncio.ensure_future(work)
    _settling.add(task)
    task.add_done_callback(_settling.discard)
    return await asyncio.shield(task)


async def admit_caller(
    ctx: AppContext,
    caller: Caller,
    body: dict[str, Any],
    body_size: int,
    *,
    endpoint: str,
    stream: bool,
    request_id: str,
    headers: dict[str, str] | None = None,
) -> Call:
    """Resolve, admit and hold one message for ``caller``: the single way into the engine.
    ``body`` is canonical (Anthropic Messages); ``headers`` are forwarded upstream."""
    check_canonical(body)
    state = gateway_state(ctx)
    rate = await resolve_rate(ctx, state, caller.account_id, body.get("model"))
    key = caller.key
    if key is not None:
        if not rate.plan.api_keys:
            raise PermissionDenied(f"the {rate.plan.name} plan does not include API access")
        if key.allowed_models is not None and rate.model.id not in key.allowed_models:
            raise ModelNotAllowedForKey(f"this API key may not use {rate.model.id}")
    max_tokens = requested_max_tokens(body)

    limits = _limits(caller, rate)
    admission = await state.limiter.admit(limits)
    response_headers = rate_limit_headers(admission)
    if not admission.allowed:
        raise GatewayRateLimited(
            _refusal_message(admission.refused_by, limits),
            retry_after=admission.retry_after,
            headers=response_headers,
        )
    guard = await guardrails_for(ctx, state, caller.account_id)
    meter = Meter(ctx, state, request_id, caller, rate, endpoint, stream, input_bound(body_size),
                  capped=bool(guard.caps) or _key_capped(key),
                  alert=guard.alert(rate.plan.monthly_credits))  # fmt: skip
    upstream = UpstreamRequest(
        body=body,
        upstream_model=rate.model.upstream_model,
        max_output_tokens=rate.model.max_output_tokens,
        headers=headers or {},
    )
    call = Call(
        ctx, state, caller, rate, meter, upstream, [], limits.concurrency_bucket,
        admission.slot, response_headers,
    )  # fmt: skip
    try:
        call.routes = providers_for(ctx, rate)
        body["max_tokens"] = await meter.hold(max_tokens)
    except BaseException:
        await call.finish()
        raise
    if meter.lowered_to is not None:
        response_headers["caicaini-max-tokens-lowered"] = str(meter.lowered_to)
    return call


@asynccontextmanager
async def admitted_count(
    state: GatewayState, caller: Caller, rate: ModelRate
) -> AsyncIterator[dict[str, str]]:
    """A token count admitted against the caller's limits, counted in ``count:`` buckets of
    their own (a count is not a message: it uses up neither the message rate nor the day's
    messages); yields the rate-limit headers; 429 when refused."""
    message = _limits(caller, rate)
    limits = replace(
        message,
        rpm_bucket="count:" + message.rpm_bucket,
        per_day=message.rpm * MINUTES_A_DAY,  # the minute's limit is the one that binds
        day_bucket="count:" + message.day_bucket,
        concurrency_bucket="count:" + message.concurrency_bucket,
    )
    admission = await state.limiter.admit(limits)
    headers = rate_limit_headers(admission)
    if not admission.allowed:
        raise GatewayRateLimited(
            "token counts: " + _refusal_message(admission.refused_by, limits),
            retry_after=admission.retry_after,
            headers=headers,
        )
    try:
        yield headers
    finally:
        if admission.slot is not None:
            await to_completion(state.limiter.finish(limits.concurrency_bucket, admission.slot))


def _key_capped(key: KeyRecord | None) -> bool:
    return key is not None and (
        key.daily_credit_cap is not None or key.monthly_credit_cap is not None
    )


def requested_max_tokens(body: dict[str, Any]) -> int:
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise InvalidInput("max_tokens: a positive integer is required", field="max_tokens")
    return max_tokens


def _limits(caller: Caller, rate: ModelRate) -> Limits:
    """The plan's limits, counted per account; a key's operator overrides count per key."""
    plan, key, account = rate.plan, caller.key, f"a:{caller.account_id}"
    rpm_override = key.rpm_override if key is not None else None
    concurrency_override = key.concurrency_override if key is not None else None
    return Limits(
        rpm=rpm_override or plan.rpm,
        rpm_bucket=f"k:{key.id}" if key is not None and rpm_override else account,
        per_day=plan.messages_per_day,
        day_bucket=account,
        concurrency=concurrency_override or plan.concurrency,
        concurrency_bucket=f"k:{key.id}" if key is not None and concurrency_override else account,
    )


def _refusal_message(refused_by: str | None, limits: Limits) -> str:
    if refused_by == "per_day":
        return f"daily message limit reached ({limits.per_day} messages per day)"
    if refused_by == "concurrency":
        return f"too many concurrent requests (limit {limits.concurrency}); retry shortly"
    return f"rate limit reached ({limits.rpm} requests per minute)"


def as_upstream_error(exc: Exception) -> UpstreamError:
    if isinstance(exc, UpstreamError):
        return exc
    if isinstance(exc, httpx.TimeoutException):
        return UpstreamError("upstream request timed out", status=504, error_type="timeout_error")
    return UpstreamError("upstream connection failed", status=502, error_type="api_error")


async def send(call: Call) -> tuple[dict[str, Any], Charge]:
    """A complete (non-streaming) message; settles in ``finally`` whatever happens."""
    usage: Usage | None = None
    outcome = "upstream_error"
    try:
        message: dict[str, Any] | None = None
        for index, provider in enumerate(call.routes):
            call.meter.provider = provider.name
            try:
                message = await provider.send(call.upstream)
                break
            except (UpstreamError, httpx.HTTPError) as exc:
                error = as_upstream_error(exc)
                if error.status in RETRYABLE_STATUSES and index + 1 < len(call.routes):
                    continue
                raise error from None
        assert message is not None
        usage, outcome = Usage.from_anthropic(message.get("usage")), "ok"
    except asyncio.CancelledError:  # the client left: upstream's call is cancelled with it
        outcome = "client_disconnect"
        raise
    finally:
        charge = await call.settle(usage, outcome=outcome)
    return message, charge


def charge_headers(call: Call, charge: Charge) -> dict[str, str]:
    headers = dict(call.headers)
    headers["caicaini-credits-charged"] = str(charge.credits)
    headers["caicaini-credits-remaining"] = str(charge.remaining)
    if charge.receipt_id:
        headers["caicaini-receipt-id"] = charge.receipt_id
    return headers
