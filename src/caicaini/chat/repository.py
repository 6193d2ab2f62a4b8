"""All SQL of the web chat: conversations, messages and their full-text search.

Search terms arrive as plain words (``ChatService`` splits the query; nothing the customer
types reaches the query syntax). SQLite matches them in the FTS5 table ``chat_search``
(``body`` holds a message's text or a conversation's title; the ids are indexed columns,
so one account's or one conversation's rows are found through the index); PostgreSQL
matches ``to_tsvector('simple', ...)`` against a prefix ``tsquery`` over the GIN indexes.
The last word matches as a prefix on both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.models.chat import ChatMessage, Conversation

# (account id, conversation id, message id or None for a title, text)
IndexRow = tuple[str, str, str | None, str]


def _fts_phrase(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def _sqlite(self) -> bool:
        return self.session.get_bind().dialect.name == "sqlite"

    # -- conversations --------------------------------------------------------------------
    async def conversation(self, account_id: str, conversation_id: str) -> Conversation | None:
        """The account's conversation, or None (another account's is never returned)."""
        return (
            await self.session.execute(
                select(Conversation).where(
                    Conversation.id == conversation_id, Conversation.account_id == account_id
                )
            )
        ).scalar_one_or_none()

    async def conversations(
        self, account_id: str, *, limit: int, offset: int
    ) -> Sequence[Conversation]:
        """Newest activity first; ``limit + 1`` rows (see ``kit.pagination.trim``)."""
        stmt = (
            select(Conversation)
            .where(Conversation.account_id == account_id)
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(limit + 1)
            .offset(offset)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def search(
        self, account_id: str, words: list[str], *, limit: int, offset: int
    ) -> Sequence[Conversation]:
        """Conversations whose title or any message matches every word (newest first)."""
        matching = (
            self._sqlite_matches(account_id, words)
            if self._sqlite
            else self._postgres_matches(account_id, words)
        )
        stmt = (
            select(Conversation)
            .where(Conversation.account_id == account_id, Conversation.id.in_(matching))
            .order_by(Conversation.updated_at.desc(), Conversation.id.desc())
            .limit(limit + 1)
            .offset(offset)
        )
        return (await self.session.execute(stmt)).scalars().all()

    @staticmethod
    def _sqlite_matches(account_id: str, words: list[str]) -> Any:
        terms = [_fts_phrase(w) for w in words]
        terms[-1] += "*"
        query = f"account_id : {_fts_phrase(account_id)} AND body : ({' AND '.join(terms)})"
        return text(
            "SELECT conversation_id FROM chat_search WHERE chat_search MATCH :q"
        ).bindparams(q=query)

    @staticmethod
    def _postgres_matches(account_id: str, words: list[str]) -> Any:
        # Words are letters and digits only (ChatService), so they are safe tsquery lexemes.
        query = func.to_tsquery("simple", " & ".join(words) + ":*")
        in_messages = select(ChatMessage.conversation_id).where(
            ChatMessage.account_id == account_id,
            func.to_tsvector("simple", ChatMessage.content).op("@@")(query),
        )
        in_titles = select(Conversation.id).where(
            Conversation.account_id == account_id,
            func.to_tsvector("simple", Conversation.title).op("@@")(query),
        )
        return in_messages.union(in_titles)

    async def set_title(self, conversation: Conversation, title: str) -> None:
        conversation.title = title
        await self.session.flush()
        if self._sqlite:
            await self.session.execute(
                text(
                    "DELETE FROM chat_search WHERE rowid IN (SELECT rowid FROM chat_search "
                    "WHERE chat_search MATCH :q AND message_id IS NULL)"
                ).bindparams(q=f"conversation_id : {_fts_phrase(conversation.id)}")
            )
            await self._index(conversation.account_id, conversation.id, None, title)

    async def delete_conversation(self, conversation: Conversation) -> None:
        await self._unindex(f"conversation_id : {_fts_phrase(conversation.id)}")
        await self.session.execute(
            delete(ChatMessage).where(ChatMessage.conversation_id == conversation.id)
        )
        await self.session.execute(delete(Conversation).where(Conversation.id == conversation.id))

    async def delete_account(self, account_id: str) -> None:
        await self._unindex(f"account_id : {_fts_phrase(account_id)}")
        await self.session.execute(delete(ChatMessage).where(ChatMessage.account_id == account_id))
        await self.session.execute(
            delete(Conversation).where(Conversation.account_id == account_id)
        )

    # -- messages -------------------------------------------------------------------------
    async def messages(self, conversation_id: str) -> Sequence[ChatMessage]:
        """Every message of the conversation, every branch, oldest first: read-only rows
        with the model's attributes (no ORM instances: a long conversation's page loads
        hundreds, and building instances was most of its time)."""
        table = ChatMessage.__table__
        stmt = (
            select(table)
            .where(table.c.conversation_id == conversation_id)
            .order_by(table.c.created_at, table.c.id)
        )
        rows = (await self.session.execute(stmt)).all()
        return cast(Sequence[ChatMessage], rows)

    async def message(self, account_id: str, message_id: str) -> ChatMessage | None:
        return (
            await self.session.execute(
                select(ChatMessage).where(
                    ChatMessage.id == message_id, ChatMessage.account_id == account_id
                )
            )
        ).scalar_one_or_none()

    async def add(self, conversation: Conversation | None, messages: list[ChatMessage]) -> None:
        """A new conversation (or None) and messages; titles and finished messages are
        indexed for search."""
        if conversation is not None:  # first: no relationship orders the inserts
            self.session.add(conversation)
            await self.session.flush()
        self.session.add_all(messages)
        await self.session.flush()
        rows: list[IndexRow] = [
            (m.account_id, m.conversation_id, m.id, m.content)
            for m in messages
            if m.status != "streaming" and m.content
        ]
        if conversation is not None:
            rows.append((conversation.account_id, conversation.id, None, conversation.title))
        await self._index_many(rows)

    async def complete_message(
        self, message_id: str, *, conversation_id: str, account_id: str, values: dict[str, Any]
    ) -> None:
        """A streamed reply's final state (written once: it was "streaming" until now)."""
        done = await self.session.execute(
            update(ChatMessage)
            .where(ChatMessage.id == message_id, ChatMessage.status == "streaming")
            .values(**values)
        )
        if getattr(done, "rowcount", 0) and values.get("content"):
            await self._index_many([(account_id, conversation_id, message_id, values["content"])])

    async def touch(self, conversation_id: str, values: dict[str, Any]) -> None:
        await self.session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(**values)
        )

    async def all_of(self, account_id: str) -> tuple[Sequence[Conversation], Sequence[ChatMessage]]:
        """Every conversation and message of the account, oldest first (the data export)."""
        conversations = await self.session.execute(
            select(Conversation)
            .where(Conversation.account_id == account_id)
            .order_by(Conversation.created_at, Conversation.id)
        )
        messages = await self.session.execute(
            select(ChatMessage)
            .where(ChatMessage.account_id == account_id)
            .order_by(ChatMessage.created_at, ChatMessage.id)
        )
        return conversations.scalars().all(), messages.scalars().all()

    # -- search index (SQLite; PostgreSQL indexes the columns themselves) ------------------
    async def _index(
        self, account_id: str, conversation_id: str, message_id: str | None, body: str
    ) -> None:
        await self._index_many([(account_id, conversation_id, message_id, body)])

    async def _index_many(self, rows: list[IndexRow]) -> None:
        """(account id, conversation id, message id or None for a title, text) rows."""
        if not self._sqlite or not rows:
            return
        await self.session.execute(
            text(
                "INSERT INTO chat_search (body, conversation_id, account_id, message_id) "
                "VALUES (:body, :conversation_id, :account_id, :message_id)"
            ),
            [
                {"account_id": a, "conversation_id": c, "message_id": m, "body": b}
                for a, c, m, b in rows
            ],
        )

    async def _unindex(self, match: str) -> None:
        if not self._sqlite:
            return
        await self.session.execute(
            text(
                "DELETE FROM chat_search WHERE rowid IN "
                "(SELECT rowid FROM chat_search WHERE chat_search MATCH :q)"
            ).bindparams(q=match)
        )
