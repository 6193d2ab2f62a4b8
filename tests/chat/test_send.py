"""Sending a message: the reply streams through the gateway engine, is charged like an API
message (the hold, the settlement, a usage row with source "web" and a signed receipt), and
the conversation keeps it. Refusals leave nothing behind."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from caicaini.context import AppContext
from caicaini.models.chat import ChatMessage, Conversation
from caicaini.models.usage import UsageRecord
from caicaini.testing.fake_upstream import FakeScript
from tests.chat.support import HAIKU, balance, logged_in, named, send


async def count(ctx: AppContext, model: type) -> int:
    async with ctx.read() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_a_first_message_streams_a_reply_and_charges_it_like_the_api(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    fake.reply("Hello **Ada**, here is `code`.")
    before = await balance(gctx, ada.id)

    response, events = await send(gclient, ada, content="Say hello")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    start, done = named(events, "start")[0], named(events, "done")[0]
    assert start["url"] == f"/chat/{start['conversation_id']}"
    assert start["new_conversation"] is True and start["title"] == "Say hello"
    assert start["hold"] >= 1
    text = "".join(d["text"] for d in named(events, "delta"))
    assert text == "Hello **Ada**, here is `code`."
    assert len(named(events, "delta")) >= 2
    assert done["status"] == "complete"
    html = done["content_html"]
    assert "<strong>Ada</strong>" in html and "<code>code</code>" in html
    assert 1 <= done["credits_charged"] <= start["hold"]
    assert done["balance"] == before - done["credits_charged"] == await balance(gctx, ada.id)
    async with gctx.read() as session:
        usage = (await session.execute(select(UsageRecord))).scalar_one()
        reply = (
            await session.execute(select(ChatMessage).where(ChatMessage.role == "assistant"))
        ).scalar_one()
    assert usage.key_id is None and usage.endpoint == "web" and usage.model == HAIKU
    assert usage.credits_charged == done["credits_charged"]
    assert reply.content == text and reply.status == "complete"
    assert reply.receipt_id == done["receipt_id"] and reply.credits_charged == usage.credits_charged
    receipt = await gclient.get(f"/api/v1/receipts/{done['receipt_id']}")
    assert receipt.status_code == 200
    assert receipt.json()["credits_charged"] == done["credits_charged"]


async def test_the_conversation_continues_with_its_history_and_system_prompt(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    fake.reply("First answer.").reply("Second answer.")
    _r, first = await send(gclient, ada, content="One", system_prompt="Be brief.")
    start = named(first, "start")[0]
    _r, second = await send(
        gclient,
        ada,
        content="Two",
        conversation_id=start["conversation_id"],
        parent_id=start["message_id"],
        system_prompt="Be brief.",
    )
    assert named(second, "done")[0]["status"] == "complete"
    sent = fake.last_request.body
    assert sent["system"] == "Be brief."
    assert [m["content"] for m in sent["messages"]] == ["One", "First answer.", "Two"]
    page = await gclient.get(f"/chat/{start['conversation_id']}")
    assert page.status_code == 200
    assert "First answer." in page.text and "Second answer." in page.text


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"content": "   "}, 400, "the message is empty"),
        ({"content": "x" * 32_001}, 400, "the limit is 32,000"),
        ({"content": "hi", "model": "gpt-0"}, 404, "unknown model"),
        ({"content": "hi", "model": "claude-opus-4-5"}, 403, "not included in the plus plan"),
        ({"content": "hi", "conversation_id": "conv_nope"}, 404, "no such conversation"),
    ],
)
async def test_bad_input_is_refused_in_words_and_leaves_nothing(
    gctx: AppContext,
    gclient: httpx.AsyncClient,
    fake: FakeScript,
    body: dict[str, str],
    status: int,
    words: str,
) -> None:
    ada = await logged_in(gctx, gclient)
    before = await balance(gctx, ada.id)
    response, _events = await send(gclient, ada, **body)
    assert response.status_code == status
    assert words in response.json()["error"]["message"]
    assert await count(gctx, Conversation) == await count(gctx, ChatMessage) == 0
    assert await balance(gctx, ada.id) == before
    assert fake.requests == []


async def test_not_enough_credits_is_a_402_with_nothing_written(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient, plan=None, credits=0)
    response, _events = await send(gclient, ada, content="hello")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credits"
    assert await count(gctx, ChatMessage) == 0


async def test_an_upstream_failure_is_not_charged_and_writes_nothing(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    before = await balance(gctx, ada.id)
    fake.fail(500, "upstream exploded")
    response, _events = await send(gclient, ada, content="hello")
    assert response.status_code >= 500
    assert await balance(gctx, ada.id) == before
    assert await count(gctx, ChatMessage) == 0


@pytest.mark.parametrize(
    ("path", "banner"),
    [
        ("marked/marked.umd.js", "marked v18."),
        ("dompurify/purify.min.js", "DOMPurify 3."),
    ],
)
async def test_the_streaming_previews_libraries_are_served_from_our_own_origin(
    gclient: httpx.AsyncClient, path: str, banner: str
) -> None:
    response = await gclient.get(f"/static/vendor/{path}")
    assert response.status_code == 200
    assert banner in response.text[:300]
