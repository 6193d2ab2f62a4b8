"""The JSON shapes of conversations and messages (the API and the data export)."""

from __future__ import annotations

from typing import Any

from caicaini.models.chat import ChatMessage, Conversation


def conversation_record(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "title": conversation.title,
        "model": conversation.model,
        "system_prompt": conversation.system_prompt,
        "current_leaf_id": conversation.current_leaf_id,
        "created_at": conversation.created_at.isoformat(),
        "updated_at": conversation.updated_at.isoformat(),
    }


def message_record(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": message.role,
        "content": message.content,
        "status": message.status,
        "model": message.model,
        "credits_charged": message.credits_charged,
        "input_tokens": message.input_tokens,
        "output_tokens": message.output_tokens,
        "receipt_id": message.receipt_id,
        "created_at": message.created_at.isoformat(),
    }
