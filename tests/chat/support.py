"""Steps shared by the chat tests: a logged-in customer with credits, sending a message and
reading the reply's events."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from caicaini.context import AppContext
from caicaini.kit.ids import new_id
from caicaini.kit.sse import SSEDecoder
from caicaini.ledger.service import LedgerService
from tests.web.helpers import login, make_account

HAIKU = "claude-haiku-4-5"  # 1 credit per unit on every plan
SONNET = "claude-sonnet-4-5"  # 3 credits per unit on plus


@dataclass
class Customer:
    id: str
    email: str
    csrf: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-csrf-token": self.csrf}


async def grant(ctx: AppContext, account_id: str, credits: int) -> None:
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).grant(
            account_id, credits, "topup", idempotency_key=new_id("test")
        )


async def logged_in(
    ctx: AppContext,
    client: httpx.AsyncClient,
    email: str = "ada@example.com",
    *,
    plan: str | None = "plus",
    credits: int = 1000,
) -> Customer:
    account = await make_account(ctx, email, plan=plan)
    if credits:
        await grant(ctx, account.id, credits)
    return Customer(account.id, email, await login(client, email))


async def balance(ctx: AppContext, account_id: str) -> int:
    async with ctx.read() as session:
        return await LedgerService(session, ctx.clock).balance(account_id)


async def send(
    client: httpx.AsyncClient, who: Customer, **body: Any
) -> tuple[httpx.Response, list[tuple[str, Any]]]:
    """POST a message; the response and its events (name, data) once the stream ended."""
    body.setdefault("model", HAIKU)
    events: list[tuple[str, Any]] = []
    async with client.stream(
        "POST", "/api/v1/chat/messages", json=body, headers=who.headers
    ) as response:
        if response.status_code != 200:
            await response.aread()
            return response, events
        decoder = SSEDecoder()
        async for chunk in response.aiter_bytes():
            for event in decoder.feed(chunk):
                events.append((event.event or "message", event.json()))
    return response, events


def named(events: list[tuple[str, Any]], name: str) -> list[Any]:
    return [data for event, data in events if event == name]
