"""The chat's part in other domains: conversations are in the account's data export, and
deleted when the account closes (the privacy page's promise), in the closure's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.accounts import closure, export
from caicaini.chat.repository import ChatRepository
from caicaini.chat.schemas import conversation_record, message_record
from caicaini.kit.clock import Clock


async def export_conversations(session: AsyncSession, account_id: str) -> list[dict[str, Any]]:
    conversations, messages = await ChatRepository(session).all_of(account_id)
    by_conversation: dict[str, list[dict[str, Any]]] = {}
    for message in messages:
        by_conversation.setdefault(message.conversation_id, []).append(message_record(message))
    return [
        {**conversation_record(c), "messages": by_conversation.get(c.id, [])} for c in conversations
    ]


async def delete_on_closure(
    session: AsyncSession, clock: Clock, account_id: str, reason: str
) -> None:
    await ChatRepository(session).delete_account(account_id)


export.register_section("conversations", export_conversations)
if delete_on_closure not in closure.CLOSURE_HOOKS:
    closure.CLOSURE_HOOKS.append(delete_on_closure)
