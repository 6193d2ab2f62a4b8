"""The web chat's server times, for an account with 1,000 conversations and 10,000 messages.

    python -m bench.chat            (make bench-chat) → bench/chat/RESULTS.md

Measured in-process (an ASGI transport that streams: no network, the server's own time plus a
thin client), on SQLite and, when reachable, PostgreSQL, each on a fresh migrated
database: the ``/chat`` page (the list, the models, the balance, the hold), one long
conversation's page (400 messages on its branch, markdown and code rendered and
sanitised), the search (the JSON list and the page), and a streamed reply through the
chat beside the same message streamed by ``/v1/messages`` with an API key (both through
the in-process demo provider: the difference is what the chat adds to the gateway).
Target: under 50 ms each.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import insert, text
from tests.web.helpers import PASSWORD, csrf_of, make_account

from bench.gateway import procs
from caicaini.api_keys.service import ApiKeyService, KeyOptions
from caicaini.audit.service import Actor
from caicaini.chat.rendering import render_markdown
from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.kit.ids import new_id
from caicaini.ledger.service import LedgerService
from caicaini.main import create_app
from caicaini.models.chat import ChatMessage, Conversation
from caicaini.plans.hooks import install_default_catalogue
from caicaini.testing.asgi_stream import StreamingASGITransport
from caicaini.testing.fake_upstream import create_fake_upstream_app

OUT = Path(__file__).with_name("RESULTS.md")
CONVERSATIONS = 1_000
MESSAGES = 10_000
LONG = 400  # messages in the long conversation
RUNS = 40
MODEL = "claude-haiku-4-5"
REPLY = (
    "Here is how it works, step by step:\n\n1. **Read** the input.\n2. Parse it with "
    "`json.loads`.\n3. Print the result.\n\n```python\nimport json\n\ndef main(raw: str) -> None:\n"
    "    data = json.loads(raw)\n    print(data['answer'])\n```\n\n"
    "| option | meaning |\n|---|---|\n| `-v` | verbose |\n\nTopic {n}: volcanoes and basalt."
)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def seed(ctx: AppContext) -> tuple[str, str]:
    """The account, its conversations (one long) and messages; (account id, long id)."""
    await install_default_catalogue(ctx)
    account = await make_account(ctx, "bench@example.com", plan="pro")
    async with ctx.transaction() as session:
        await LedgerService(session, ctx.clock).grant(
            account.id, 1_000_000, "topup", idempotency_key=new_id("bench")
        )
    start = datetime.now(UTC) - timedelta(days=30)
    conversations: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    per = (MESSAGES - LONG) // (CONVERSATIONS - 1)
    for n in range(CONVERSATIONS):
        conv_id = new_id("conv")
        count = LONG if n == 0 else per
        at = start + timedelta(minutes=n)
        parent = None
        html = render_markdown(REPLY.format(n=n))  # as ChatReply.finish stores it
        for i in range(count):
            msg_id = new_id("msg")
            role = "user" if i % 2 == 0 else "assistant"
            messages.append(
                {
                    "id": msg_id, "conversation_id": conv_id, "account_id": account.id,
                    "parent_id": parent, "role": role,
                    "content": f"Question {n}.{i} about lava flows" if role == "user"
                    else REPLY.format(n=n),
                    "content_html": html if role == "assistant" else None,
                    "status": "complete", "model": MODEL if role == "assistant" else None,
                    "request_id": None, "receipt_id": None,
                    "credits_charged": 1 if role == "assistant" else None,
                    "input_tokens": 40 if role == "assistant" else None,
                    "output_tokens": 120 if role == "assistant" else None,
                    "created_at": at + timedelta(seconds=i),
                }
            )  # fmt: skip
            parent = msg_id
        conversations.append(
            {
                "id": conv_id, "account_id": account.id, "title": f"Conversation {n} on lava",
                "model": MODEL, "system_prompt": None, "current_leaf_id": parent,
                "created_at": at, "updated_at": at + timedelta(seconds=count),
            }
        )  # fmt: skip
    async with ctx.transaction() as session:
        await session.execute(insert(Conversation), conversations)
        await session.execute(insert(ChatMessage), messages)
        if ctx.db.is_sqlite:
            rows = [
                {"b": c["title"], "c": c["id"], "a": account.id, "m": None} for c in conversations
            ] + [
                {"b": m["content"], "c": m["conversation_id"], "a": account.id, "m": m["id"]}
                for m in messages
            ]
            await session.execute(
                text(
                    "INSERT INTO chat_search (body, conversation_id, account_id, message_id) "
                    "VALUES (:b, :c, :a, :m)"
                ),
                rows,
            )
        else:
            await session.execute(text("ANALYZE chat_messages"))
            await session.execute(text("ANALYZE chat_conversations"))
    return account.id, conversations[0]["id"]


async def timed(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> list[float]:
    out = []
    for run in range(RUNS + 3):
        begin = time.perf_counter()
        response = await client.request(method, url, **kw)
        elapsed = (time.perf_counter() - begin) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{method} {url}: {response.status_code} {response.text[:300]}")
        if run >= 3:  # warm-up
            out.append(elapsed)
    return out


async def streamed(
    client: httpx.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str]
) -> list[float]:
    out = []
    for run in range(RUNS + 3):
        begin = time.perf_counter()
        async with client.stream("POST", url, json=body, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()
                raise SystemExit(f"POST {url}: {response.status_code} {response.text[:300]}")
            async for _chunk in response.aiter_bytes():
                pass
        if run >= 3:
            out.append((time.perf_counter() - begin) * 1000)
    return out


def measure(database_url: str, data_dir: Path) -> dict[str, list[float]]:
    return procs.run_in_process(database_url, data_dir, run)


async def direct(body: dict[str, Any]) -> list[float]:
    """The same message straight to the in-process fake upstream the demo provider uses."""
    transport = StreamingASGITransport(create_fake_upstream_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://demo.invalid") as client:
        return await streamed(client, "/v1/messages", body, {"anthropic-version": "2023-06-01"})


async def run(settings: Settings) -> dict[str, list[float]]:
    ctx = AppContext.from_settings(settings)
    account_id, long_id = await seed(ctx)
    async with ctx.transaction() as session:
        _key, secret = await ApiKeyService(session, ctx.clock).create(
            account_id, KeyOptions(), actor=Actor("operator")
        )
    app = create_app(ctx=ctx)
    results: dict[str, list[float]] = {}
    async with LifespanManager(app) as manager:
        transport = StreamingASGITransport(manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            page = await client.get("/login")
            await client.post(
                "/login",
                data={"csrf_token": csrf_of(page.text), "email": "bench@example.com",
                      "password": PASSWORD},
            )  # fmt: skip
            csrf = csrf_of((await client.get("/settings")).text)
            results["GET /chat (1,000 conversations, first page)"] = await timed(
                client, "GET", "/chat"
            )
            results[f"GET /chat/{{id}} ({LONG} messages)"] = await timed(
                client, "GET", f"/chat/{long_id}"
            )
            results[
                "GET /api/v1/chat/conversations?q=basalt (every conversation matches)"
            ] = await timed(client, "GET", "/api/v1/chat/conversations", params={"q": "basalt"})
            results['GET /api/v1/chat/conversations?q="topic 517" (one matches)'] = await timed(
                client, "GET", "/api/v1/chat/conversations", params={"q": "topic 517"}
            )
            results["GET /chat?q=lava (search page)"] = await timed(
                client, "GET", "/chat", params={"q": "lava"}
            )
            body = {"model": MODEL, "max_tokens": 4096, "stream": True,
                    "messages": [{"role": "user", "content": "hello"}]}  # fmt: skip
            results["the demo provider directly (no gateway)"] = await direct(body)
            results["POST /v1/messages streamed (API key)"] = await streamed(
                client, "/v1/messages", body,
                {"x-api-key": secret, "anthropic-version": "2023-06-01"},
            )  # fmt: skip
            results["POST /api/v1/chat/messages streamed (new conversation)"] = await streamed(
                client, "/api/v1/chat/messages", {"model": MODEL, "content": "hello"},
                {"x-csrf-token": csrf},
            )  # fmt: skip
    await ctx.close()
    return results


def table(results: dict[str, list[float]]) -> list[str]:
    lines = ["| what | p50 ms | p95 ms | runs |", "| --- | ---: | ---: | ---: |"]
    for name, values in results.items():
        lines.append(
            f"| {name} | {statistics.median(values):.1f} | {percentile(values, 0.95):.1f} | "
            f"{len(values)} |"
        )
    return lines


def main() -> None:
    load_before = os.getloadavg()[1]
    sections: list[tuple[str, dict[str, list[float]]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = f"sqlite+aiosqlite:///{tmp}/bench.db"
        sections.append(("SQLite", measure(sqlite, Path(tmp))))
        pg = procs.create_pg_database()
        if pg:
            try:
                sections.append(("PostgreSQL", measure(pg, Path(tmp))))
            finally:
                procs.drop_pg_database(pg)
    load_after = os.getloadavg()[1]
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Web chat benchmark results",
        "",
        "Produced by `make bench-chat` (`python -m bench.chat`); rerun to refresh.",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} CPUs, {cpu}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}",
        f"- Load average (5 min) before and after: {load_before:.1f} and {load_after:.1f}",
        f"- Data: one account with {CONVERSATIONS:,} conversations and {MESSAGES:,} messages "
        f"(one conversation of {LONG} messages, the others of "
        f"{(MESSAGES - LONG) // (CONVERSATIONS - 1)}); replies are markdown with a list, "
        "inline code, a Python code block and a table",
        "- Server time in-process (an ASGI transport that streams, no network); the replies "
        "come from the in-process demo provider",
        "- Target: under 50 ms each",
        "",
    ]
    for name, results in sections:
        lines += [f"## {name}", "", *table(results), ""]
        bare = statistics.median(results["the demo provider directly (no gateway)"])
        api = statistics.median(results["POST /v1/messages streamed (API key)"])
        chat = statistics.median(results["POST /api/v1/chat/messages streamed (new conversation)"])
        lines += [
            f"Streaming, p50: the gateway's own overhead is {api - bare:+.1f} ms over the "
            f"provider; the chat adds {chat - api:+.1f} ms over the gateway (the session "
            "cookie's look-up, reading the conversation, writing the prompt and the reply in "
            "two short transactions, rendering the reply's markdown).",
            "",
        ]
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
