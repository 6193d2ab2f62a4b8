"""Stopping a reply, a browser that leaves mid-stream, and the message tree: regenerate makes
a sibling reply, editing a prompt makes a sibling prompt, and the customer switches between
branches."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.kit.sse import SSEDecoder
from caicaini.models.chat import ChatMessage
from caicaini.testing.fake_upstream import Behaviour, FakeScript
from tests.chat.support import Customer, balance, logged_in, named, send

LONG = 3000  # output tokens: two units of claude-haiku-4-5 (2,000 output tokens a unit)


async def reply_row(ctx: AppContext, message_id: str) -> ChatMessage:
    async with ctx.read() as session:
        return (
            await session.execute(select(ChatMessage).where(ChatMessage.id == message_id))
        ).scalar_one()


async def shown_thread(client: httpx.AsyncClient, conversation_id: str) -> str:
    page = await client.get(f"/chat/{conversation_id}/thread")
    assert page.status_code == 200
    return page.text


async def stream_until_first_delta(
    client: httpx.AsyncClient, who: Customer, on_first_delta: Any
) -> list[tuple[str, Any]]:
    events: list[tuple[str, Any]] = []
    body = {"model": "claude-haiku-4-5", "content": "write a lot"}
    async with client.stream(
        "POST", "/api/v1/chat/messages", json=body, headers=who.headers
    ) as response:
        assert response.status_code == 200
        decoder = SSEDecoder()
        acted = False
        async for chunk in response.aiter_bytes():
            for event in decoder.feed(chunk):
                events.append((event.event or "message", event.json()))
                if event.event == "delta" and not acted:
                    acted = True
                    if await on_first_delta(named(events, "start")[0]) == "leave":
                        return events
    return events


async def test_a_stop_cancels_upstream_and_charges_only_what_was_produced(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    fake.push(Behaviour(output_tokens=LONG, tokens_per_second=200))
    stops: list[httpx.Response] = []

    async def stop(start: dict[str, Any]) -> None:
        url = f"/api/v1/chat/messages/{start['message_id']}/stop"
        stops.append(await gclient.post(url, headers=ada.headers))
        stops.append(await gclient.post(url, headers=ada.headers))

    before = await balance(gctx, ada.id)
    events = await stream_until_first_delta(gclient, ada, stop)

    first, second = stops
    assert first.status_code == 200 and first.json()["stopping"] is True
    assert second.status_code == 409  # a stop sent twice: the reply has already ended
    assert "already ended" in second.json()["error"]["message"]
    start, done = named(events, "start")[0], named(events, "done")[0]
    assert done["status"] == "stopped"
    produced = "".join(d["text"] for d in named(events, "delta"))
    assert 0 < len(produced.split()) < LONG
    assert done["credits_charged"] == 1 < 2  # a full reply of LONG tokens costs 2
    assert done["credits_charged"] <= start["hold"]
    assert await balance(gctx, ada.id) == before - 1
    row = await reply_row(gctx, start["message_id"])
    assert (row.status, row.content, row.credits_charged) == ("stopped", produced, 1)
    assert row.receipt_id == done["receipt_id"]


async def test_a_full_reply_of_the_same_length_costs_more_than_the_stopped_one(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    fake.push(Behaviour(output_tokens=LONG))
    _response, events = await send(gclient, ada, content="write a lot")
    assert named(events, "done")[0]["credits_charged"] == 2


async def test_a_browser_gone_mid_stream_is_settled_for_what_was_produced(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    fake.push(Behaviour(output_tokens=LONG, tokens_per_second=200))
    before = await balance(gctx, ada.id)

    async def leave(_start: dict[str, Any]) -> str:
        return "leave"

    events = await stream_until_first_delta(gclient, ada, leave)
    message_id = named(events, "start")[0]["message_id"]
    for _ in range(200):
        row = await reply_row(gctx, message_id)
        if row.status != "streaming":
            break
        await asyncio.sleep(0.05)
    assert row.status == "stopped"
    assert row.credits_charged == 1
    assert await balance(gctx, ada.id) == before - 1
    again = await gclient.post(f"/api/v1/chat/messages/{message_id}/stop", headers=ada.headers)
    assert again.status_code == 409


async def test_regenerate_and_edit_make_branches_that_can_be_switched(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    fake.reply("Answer A.").reply("Answer B.").reply("Answer C.")
    _r, first = await send(gclient, ada, content="Question one")
    start = named(first, "start")[0]
    conversation = start["conversation_id"]

    _r, regenerated = await send(
        gclient, ada, conversation_id=conversation, reply_to=start["user_message_id"]
    )
    sibling = named(regenerated, "start")[0]
    assert sibling["user_message_id"] == start["user_message_id"]
    assert fake.last_request.body["messages"] == [{"role": "user", "content": "Question one"}]

    _r, edited = await send(gclient, ada, conversation_id=conversation, content="Question two")
    branch = named(edited, "start")[0]
    assert branch["user_message_id"] != start["user_message_id"]

    tree = (await gclient.get(f"/api/v1/chat/conversations/{conversation}")).json()
    by_id = {m["id"]: m for m in tree["messages"]}
    assert by_id[sibling["message_id"]]["parent_id"] == start["user_message_id"]
    assert by_id[branch["user_message_id"]]["parent_id"] is None  # a sibling of the first
    assert tree["current_leaf_id"] == branch["message_id"]

    page = await shown_thread(gclient, conversation)
    assert "Question two" in page and "Answer C." in page and "Question one" not in page
    assert "2 / 2" in page

    switched = await gclient.post(
        f"/chat/{conversation}/branch",
        data={"csrf_token": ada.csrf, "message_id": start["user_message_id"]},
    )
    assert switched.status_code == 303
    page = await shown_thread(gclient, conversation)
    # The first prompt's newest reply (the regenerated one) shows, with both replies' count.
    assert "Question one" in page and "Answer B." in page and "Answer A." not in page
    assert "1 / 2" in page and "2 / 2" in page


async def test_a_mid_stream_upstream_failure_is_recorded_as_failed(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    fake.fail_mid_stream(3)
    before = await balance(gctx, ada.id)
    _r, events = await send(gclient, ada, content="hello")
    done = named(events, "done")[0]
    assert done["status"] == "failed" and done["error"]
    assert await balance(gctx, ada.id) == before - done["credits_charged"]
