"""The gateway's side of the credit guardrails (``caicaini.guardrails``).

Each account's caps and low-balance alert are cached per process for a few seconds, like its
plan: they only decide whether a hold takes the cap path at all. The cap path re-reads the caps
as stored under the account's ledger lock, so a cap that changed is enforced as it is now; a
cap *newly set* where there was none reaches this process's cache at once when set here and
within the cache's five seconds when set by another process.

After a settlement the balance it returns is compared with the alert's threshold: that one
comparison is all the message pays. Only when it flips the alert (armed and now at or under
the threshold, or alerted and above it again) does a small task run, after the response, to
send the e-mail once or re-arm the alert.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from caicaini.context import AppContext
from caicaini.gateway.state import GatewayState
from caicaini.guardrails.service import Alert, GuardrailService, GuardrailView
from caicaini.logs import get_logger

log = get_logger(__name__)

_running: dict[str, asyncio.Task[None]] = {}


async def guardrails_for(ctx: AppContext, state: GatewayState, account_id: str) -> GuardrailView:
    async def load() -> GuardrailView:
        async with ctx.read() as session:
            return await GuardrailService(session, ctx.clock).view(account_id)

    return await state.guardrails.fetch(account_id, load)


def forget(ctx: AppContext, account_id: str) -> None:
    """The account's guardrails changed: this process reads them afresh from now on."""
    state = ctx.extras.get("gateway")
    if isinstance(state, GatewayState):
        state.guardrails.discard(account_id)


def settled(
    ctx: AppContext, state: GatewayState, account_id: str, alert: Alert, balance: int
) -> None:
    """Called with every settlement's balance: start the alert's work if it flips."""
    if balance < 0 or not alert.changes(balance) or account_id in _running:
        return
    task = asyncio.ensure_future(_flip(ctx, state, account_id, below=alert.armed))
    _running[account_id] = task
    task.add_done_callback(lambda _t: _running.pop(account_id, None))


async def _flip(ctx: AppContext, state: GatewayState, account_id: str, *, below: bool) -> None:
    try:
        async with ctx.transaction() as session:
            service = GuardrailService(session, ctx.clock)
            if below:
                sent = await service.alert_if_low(account_id, ctx.settings.public_url)
                log.info("guardrails.low_balance", account_id=account_id, sent=sent)
            else:
                await service.rearm_if_above(account_id)
    except Exception:
        log.exception("guardrails.alert_failed", account_id=account_id)
        return
    cached = state.guardrails.get(account_id)
    if cached is not None:  # this process stops asking until the cache is refreshed
        state.guardrails.put(account_id, replace(cached, alerted=below))


async def drain() -> None:
    """Let alerts in progress finish (shutdown, tests)."""
    while _running:
        await asyncio.gather(*list(_running.values()), return_exceptions=True)
