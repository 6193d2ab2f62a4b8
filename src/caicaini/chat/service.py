"""The web chat's rules: conversations as message trees, what a message sends upstream, and
the state a streamed reply leaves behind.

    prepare   validate a send (prompt, size, conversation and parent are the account's) and
              build the canonical Messages body: system prompt + the branch's path + prompt.
              Nothing is written: a refused or failed call leaves no trace.
    begin     once the engine has admitted and held the call and upstream has answered:
              the conversation (new ones get their title from the first prompt, no model
              call), the user message, the reply as "streaming", the branch shown
    finish    the reply's text, status and what it cost, exactly once

Branches: a message's siblings share its parent. Showing a branch means choosing a leaf;
switching to a sibling shows the newest leaf below it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.chat.errors import (
    ConversationNotFound,
    EmptyPrompt,
    MessageNotFound,
    PromptTooLong,
)
from caicaini.chat.repository import ChatRepository
from caicaini.config import Settings
from caicaini.errors import InvalidInput
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.kit.pagination import trim
from caicaini.models.chat import ChatMessage, Conversation

TITLE_CHARS = 80
# A reply sorts after its prompt even when both are written within one tick of the clock.
REPLY_AFTER_PROMPT = timedelta(microseconds=1)
PAGE_SIZE = 30
MAX_SEARCH_WORDS = 8
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class SendRequest:
    """What the composer sends. ``reply_to`` (a user message) regenerates its reply;
    otherwise ``content`` is a new user message under ``parent_id`` (None: the first)."""

    content: str | None
    model: str
    conversation_id: str | None = None
    parent_id: str | None = None
    reply_to: str | None = None
    system_prompt: str | None = None


@dataclass
class Draft:
    account_id: str
    request: SendRequest
    conversation: Conversation | None
    body: dict[str, Any]
    body_size: int


@dataclass(frozen=True)
class Begun:
    conversation_id: str
    user_message_id: str
    message_id: str
    new_conversation: bool
    title: str


@dataclass
class MessageView:
    message: ChatMessage
    siblings: list[str] = field(default_factory=list)

    @property
    def position(self) -> int:
        return self.siblings.index(self.message.id) + 1

    def sibling(self, step: int) -> str | None:
        index = self.siblings.index(self.message.id) + step
        return self.siblings[index] if 0 <= index < len(self.siblings) else None


@dataclass
class Thread:
    conversation: Conversation
    path: list[MessageView]
    messages: list[ChatMessage] = field(default_factory=list)  # every branch

    @property
    def leaf_id(self) -> str | None:
        return self.path[-1].message.id if self.path else None


@dataclass
class ConversationPage:
    conversations: list[Conversation]
    page: int
    has_more: bool
    query: str


def search_words(query: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(query)][:MAX_SEARCH_WORDS]


def title_from(prompt: str) -> str:
    line = " ".join(prompt.split())
    return line if len(line) <= TITLE_CHARS else line[: TITLE_CHARS - 1].rstrip() + "…"


class ChatService:
    def __init__(self, session: AsyncSession, clock: Clock, settings: Settings) -> None:
        self.repo = ChatRepository(session)
        self.clock = clock
        self.settings = settings

    # -- reading --------------------------------------------------------------------------
    async def conversation(self, account_id: str, conversation_id: str) -> Conversation:
        conversation = await self.repo.conversation(account_id, conversation_id)
        if conversation is None:
            raise ConversationNotFound("no such conversation")
        return conversation

    async def page(self, account_id: str, *, query: str = "", page: int = 1) -> ConversationPage:
        page = max(1, page)
        offset = (page - 1) * PAGE_SIZE
        words = search_words(query)
        if words:
            rows = await self.repo.search(account_id, words, limit=PAGE_SIZE, offset=offset)
        else:
            rows = await self.repo.conversations(account_id, limit=PAGE_SIZE, offset=offset)
        conversations, has_more = trim(rows, PAGE_SIZE)
        return ConversationPage(conversations, page, has_more, query.strip())

    async def thread(self, account_id: str, conversation_id: str) -> Thread:
        conversation = await self.conversation(account_id, conversation_id)
        messages = list(await self.repo.messages(conversation.id))
        return Thread(conversation, _path(messages, conversation.current_leaf_id), messages)

    async def tree(
        self, account_id: str, conversation_id: str
    ) -> tuple[Conversation, list[ChatMessage]]:
        conversation = await self.conversation(account_id, conversation_id)
        return conversation, list(await self.repo.messages(conversation.id))

    # -- changing -------------------------------------------------------------------------
    async def rename(self, account_id: str, conversation_id: str, title: str) -> Conversation:
        conversation = await self.conversation(account_id, conversation_id)
        clean = " ".join(title.split())
        if not clean:
            raise InvalidInput("a title cannot be empty", field="title")
        if len(clean) > 200:
            raise InvalidInput("a title has at most 200 characters", field="title")
        await self.repo.set_title(conversation, clean)
        return conversation

    async def delete(self, account_id: str, conversation_id: str) -> None:
        await self.repo.delete_conversation(await self.conversation(account_id, conversation_id))

    async def switch(self, account_id: str, conversation_id: str, message_id: str) -> None:
        """Show the branch through ``message_id``: its newest leaf."""
        conversation = await self.conversation(account_id, conversation_id)
        messages = list(await self.repo.messages(conversation.id))
        by_id = {m.id: m for m in messages}
        if message_id not in by_id:
            raise MessageNotFound("no such message in this conversation")
        children = _children(messages)
        leaf = message_id
        while children.get(leaf):
            leaf = children[leaf][-1].id
        await self.repo.touch(conversation.id, {"current_leaf_id": leaf})

    # -- sending --------------------------------------------------------------------------
    async def prepare(
        self, account_id: str, request: SendRequest, *, quoting: bool = False
    ) -> Draft:
        """Check a send and build its upstream body; writes nothing. ``quoting``: the body
        for the composer's "up to N credits", which may be asked before a word is typed."""
        conversation = None
        if request.conversation_id:
            conversation = await self.conversation(account_id, request.conversation_id)
        messages = list(await self.repo.messages(conversation.id)) if conversation else []
        return build_draft(
            self.settings, account_id, request, conversation, messages, quoting=quoting
        )

    async def begin(self, draft: Draft, *, model: str, request_id: str) -> Begun:
        """Write the conversation, the prompt and the reply-to-come (called once upstream
        has answered: nothing is written for a refused or failed call)."""
        now = self.clock.now()
        request = draft.request
        system = draft.body.get("system")
        conversation_id = draft.conversation.id if draft.conversation else new_id("conv")
        messages: list[ChatMessage] = []
        user_id = request.reply_to
        if user_id is None:
            assert request.content is not None
            user_id = new_id("msg")
            messages.append(
                ChatMessage(
                    id=user_id,
                    conversation_id=conversation_id,
                    account_id=draft.account_id,
                    parent_id=request.parent_id,
                    role="user",
                    content=request.content,
                    status="complete",
                    created_at=now,
                )
            )
        reply = ChatMessage(
            id=new_id("msg"),
            conversation_id=conversation_id,
            account_id=draft.account_id,
            parent_id=user_id,
            role="assistant",
            content="",
            status="streaming",
            model=model,
            request_id=request_id,
            created_at=now + REPLY_AFTER_PROMPT,
        )
        messages.append(reply)
        shown = {"current_leaf_id": reply.id, "updated_at": now, "model": model}
        if draft.conversation is None:
            assert request.content is not None
            title = title_from(request.content)
            conversation = Conversation(
                id=conversation_id,
                account_id=draft.account_id,
                title=title,
                system_prompt=system,
                created_at=now,
                **shown,
            )
            await self.repo.add(conversation, messages)
        else:
            title = draft.conversation.title
            await self.repo.add(None, messages)
            await self.repo.touch(conversation_id, {**shown, "system_prompt": system})
        new = draft.conversation is None
        return Begun(conversation_id, user_id, reply.id, new, title)

    async def finish(
        self, message_id: str, *, conversation_id: str, account_id: str, values: dict[str, Any]
    ) -> None:
        """A streamed reply's text, status and charge: written once."""
        await self.repo.complete_message(
            message_id, conversation_id=conversation_id, account_id=account_id, values=values
        )

    async def message(self, account_id: str, message_id: str) -> ChatMessage:
        message = await self.repo.message(account_id, message_id)
        if message is None:
            raise MessageNotFound("no such message")
        return message


def build_draft(
    settings: Settings,
    account_id: str,
    request: SendRequest,
    conversation: Conversation | None,
    messages: list[ChatMessage],
    *,
    quoting: bool = False,
) -> Draft:
    """``ChatService.prepare`` on a conversation already loaded (``messages``: all of it)."""
    limit = settings.chat_max_prompt_chars
    system = (request.system_prompt or "").strip() or None
    if system is not None and len(system) > limit:
        raise PromptTooLong(
            f"the system prompt is {len(system):,} characters; the limit is {limit:,}",
            field="system_prompt",
        )
    by_id = {m.id: m for m in messages}
    if request.reply_to is not None:
        prompt = by_id.get(request.reply_to)
        if prompt is None or prompt.role != "user":
            raise MessageNotFound("no such message to answer in this conversation")
        history = _lineage(by_id, prompt.id)
    else:
        content = request.content if isinstance(request.content, str) else ""
        if not content.strip() and not quoting:
            raise EmptyPrompt("the message is empty: write something first", field="content")
        if len(content) > limit:
            raise PromptTooLong(
                f"the message is {len(content):,} characters; the limit is {limit:,}",
                field="content",
            )
        history = []
        if request.parent_id is not None:
            parent = by_id.get(request.parent_id)
            if parent is None or parent.role != "assistant":
                raise MessageNotFound("no such reply to continue in this conversation")
            history = _lineage(by_id, parent.id)
        history.append(("user", content))
    body: dict[str, Any] = {
        "model": request.model,
        "max_tokens": settings.chat_max_tokens,
        "stream": True,
        "messages": [{"role": role, "content": text} for role, text in history if text],
    }
    if system:
        body["system"] = system
    size = len(json.dumps(body, ensure_ascii=False).encode())
    return Draft(account_id, request, conversation, body, size)


def _children(messages: list[ChatMessage]) -> dict[str | None, list[ChatMessage]]:
    children: dict[str | None, list[ChatMessage]] = {}
    for message in messages:  # oldest first, so each list is in creation order
        children.setdefault(message.parent_id, []).append(message)
    return children


def _lineage(by_id: dict[str, ChatMessage], message_id: str) -> list[tuple[str, str]]:
    """(role, text) from the root down to ``message_id``."""
    out: list[tuple[str, str]] = []
    current: str | None = message_id
    while current is not None and current in by_id:
        message = by_id[current]
        out.append((message.role, message.content))
        current = message.parent_id
    out.reverse()
    return out


def _path(messages: list[ChatMessage], leaf_id: str | None) -> list[MessageView]:
    """The branch ending at ``leaf_id`` (or at the newest message), each message with its
    siblings' ids."""
    if not messages:
        return []
    by_id = {m.id: m for m in messages}
    children = _children(messages)
    current: str | None = leaf_id if leaf_id in by_id else messages[-1].id
    path: list[MessageView] = []
    while current is not None and current in by_id:
        message = by_id[current]
        siblings = [m.id for m in children.get(message.parent_id, [])]
        path.append(MessageView(message, siblings))
        current = message.parent_id
    path.reverse()
    return path
