"""The list of conversations: newest first, paginated, searchable over titles and message
text (the database's own full-text search); rename and delete; every route answers only
the owner (another account's ids are 404, pages and JSON alike); conversations are in the
data export and are deleted when the account closes."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select, text

from caicaini.accounts.export import collect_export
from caicaini.chat import service as chat_service
from caicaini.context import AppContext
from caicaini.models.chat import ChatMessage, Conversation
from caicaini.testing.fake_upstream import FakeScript
from tests.chat.support import Customer, logged_in, named, send
from tests.web.helpers import PASSWORD, login, make_account


async def converse(
    client: httpx.AsyncClient, fake: FakeScript, who: Customer, prompt: str, answer: str
) -> str:
    fake.reply(answer)
    _r, events = await send(client, who, content=prompt)
    return str(named(events, "start")[0]["conversation_id"])


async def titles(client: httpx.AsyncClient, query: str = "", page: int = 1) -> list[str]:
    found = await client.get("/api/v1/chat/conversations", params={"q": query, "page": page})
    assert found.status_code == 200
    return [c["title"] for c in found.json()["data"]]


async def test_search_finds_titles_and_message_text_and_the_list_is_newest_first(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    await converse(gclient, fake, ada, "Tell me about volcanoes", "Magma rises through the crust.")
    await converse(gclient, fake, ada, "A recipe for bread", "Flour, water, salt and yeast.")
    await converse(gclient, fake, ada, "Café culture", "Espresso in Naples.")

    assert await titles(gclient) == [
        "Café culture",
        "A recipe for bread",
        "Tell me about volcanoes",
    ]
    assert await titles(gclient, "volcano") == ["Tell me about volcanoes"]  # a prefix of a title
    assert await titles(gclient, "magma crust") == ["Tell me about volcanoes"]  # reply text
    assert await titles(gclient, "yeast") == ["A recipe for bread"]
    assert await titles(gclient, "espresso") == ["Café culture"]
    assert await titles(gclient, "magma yeast") == []  # every word must match
    assert await titles(gclient, "\"' OR 1=1 -- NEAR(*") == []  # the query syntax is never reached
    page = await gclient.get("/chat", params={"q": "bread"})
    assert page.status_code == 200 and "A recipe for bread" in page.text
    assert "Tell me about volcanoes" not in page.text


async def test_the_list_is_paginated(
    gctx: AppContext,
    gclient: httpx.AsyncClient,
    fake: FakeScript,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(chat_service, "PAGE_SIZE", 2)
    ada = await logged_in(gctx, gclient)
    for n in range(3):
        await converse(gclient, fake, ada, f"Topic {n}", "ok")
    first = (await gclient.get("/api/v1/chat/conversations")).json()
    second = (await gclient.get("/api/v1/chat/conversations", params={"page": 2})).json()
    assert [c["title"] for c in first["data"]] == ["Topic 2", "Topic 1"] and first["has_more"]
    assert [c["title"] for c in second["data"]] == ["Topic 0"] and not second["has_more"]
    assert "Older →" in (await gclient.get("/chat")).text


async def test_rename_and_delete(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    conversation = await converse(gclient, fake, ada, "Old title", "Reply about pelicans")

    renamed = await gclient.post(
        f"/chat/{conversation}/rename", data={"csrf_token": ada.csrf, "title": "  Birds  "}
    )
    assert renamed.status_code == 303
    assert await titles(gclient) == ["Birds"]
    assert await titles(gclient, "birds") == ["Birds"]
    empty = await gclient.post(
        f"/chat/{conversation}/rename",
        data={"csrf_token": ada.csrf, "title": " "},
        headers={"accept": "text/html"},
    )
    assert empty.status_code == 400 and "a title cannot be empty" in empty.text

    deleted = await gclient.post(f"/chat/{conversation}/delete", data={"csrf_token": ada.csrf})
    assert deleted.status_code == 303 and deleted.headers["location"] == "/chat"
    assert await titles(gclient) == []
    assert await titles(gclient, "pelicans") == []
    assert (await gclient.get(f"/chat/{conversation}")).status_code == 404
    async with gctx.read() as session:
        left = await session.execute(select(func.count()).select_from(ChatMessage))
        assert left.scalar_one() == 0


async def test_without_the_csrf_token_nothing_changes(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    conversation = await converse(gclient, fake, ada, "Keep me", "ok")
    refused = await gclient.post(f"/chat/{conversation}/delete", data={})
    assert refused.status_code == 403
    sent = await gclient.post("/api/v1/chat/messages", json={"content": "x", "model": "m"})
    assert sent.status_code == 403
    assert await titles(gclient) == ["Keep me"]


async def test_another_accounts_conversation_is_404_in_every_route(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    conversation = await converse(gclient, fake, ada, "Private matter", "Secret reply")
    tree = (await gclient.get(f"/api/v1/chat/conversations/{conversation}")).json()
    reply_id = tree["messages"][-1]["id"]
    await make_account(gctx, "eve@example.com", plan="plus")
    gclient.cookies.clear()
    eve = Customer("", "eve@example.com", await login(gclient, "eve@example.com"))

    page = await gclient.get(f"/chat/{conversation}", headers={"accept": "text/html"})
    assert page.status_code == 404 and "Secret reply" not in page.text
    assert "text/html" in page.headers["content-type"]
    for path in (f"/api/v1/chat/conversations/{conversation}", f"/chat/{conversation}/thread"):
        assert (await gclient.get(path)).status_code == 404
    for path in ("rename", "delete", "branch"):
        form = {"csrf_token": eve.csrf, "title": "mine", "message_id": reply_id}
        assert (await gclient.post(f"/chat/{conversation}/{path}", data=form)).status_code == 404
    stop = await gclient.post(f"/api/v1/chat/messages/{reply_id}/stop", headers=eve.headers)
    assert stop.status_code == 404
    response, _ = await send(gclient, eve, content="hi", conversation_id=conversation)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "conversation_not_found"
    assert await titles(gclient) == []
    assert await titles(gclient, "private") == []


async def test_conversations_are_exported_and_deleted_at_closure(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    ada = await logged_in(gctx, gclient)
    conversation = await converse(gclient, fake, ada, "Export me", "A reply to keep")
    async with gctx.read() as session:
        exported = (await collect_export(session, ada.id))["conversations"]
    assert [c["id"] for c in exported] == [conversation]
    assert [(m["role"], m["content"]) for m in exported[0]["messages"]] == [
        ("user", "Export me"),
        ("assistant", "A reply to keep"),
    ]
    assert exported[0]["messages"][1]["credits_charged"] >= 1

    closed = await gclient.post(
        "/settings/close", data={"csrf_token": ada.csrf, "password": PASSWORD, "reason": "bye"}
    )
    assert closed.status_code == 200, closed.text
    async with gctx.read() as session:
        for model in (Conversation, ChatMessage):
            count = await session.execute(select(func.count()).select_from(model))
            assert count.scalar_one() == 0
        if gctx.db.is_sqlite:
            indexed = await session.execute(
                text("SELECT count(*) FROM chat_search WHERE chat_search MATCH :q"),
                {"q": f'account_id : "{ada.id}"'},
            )
            assert indexed.scalar_one() == 0
