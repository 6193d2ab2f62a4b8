"""A chat reply streamed through the engine, exactly like ``/v1/messages`` (no HTTP hop):

    ChatService.prepare   the body (writes nothing)
    admit_caller          Caller.for_web: rate limits, concurrency, messages/day, spend
      │                   caps, the hold (402/429 come back before anything is written)
    open_metered          upstream's first event (a failure releases the hold: "failed, not
      │                   charged", nothing written)
    ChatService.begin     the conversation, the prompt and the reply as "streaming"
    events()              ``start``, a ``delta`` per piece of text, keep-alives, ``done``
                          with the charge, the receipt, the balance and the sanitised HTML

A stop (``ChatReplies.stop``) ends the loop at once, cancelling the pending upstream read;
``MeteredEvents.close`` then closes upstream and settles what was produced (never more than
the hold). A browser gone mid-stream closes the same way through ``MeteredStream``.
``finish`` runs once, shielded, whatever ended the reply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from caicaini.chat.errors import ReplyNotRunning
from caicaini.chat.rendering import render_markdown
from caicaini.chat.service import Begun, ChatService, Draft
from caicaini.context import AppContext
from caicaini.gateway.caller import Caller
from caicaini.gateway.pipeline import admit_caller, to_completion
from caicaini.gateway.streaming import MeteredEvents, open_metered
from caicaini.kit.sse import encode_event
from caicaini.logs import get_logger

log = get_logger(__name__)
KEEP_ALIVE = b": keep-alive\n\n"
RECEIPT_URL = "/usage/receipts/{}"


class ChatReplies:
    """The replies this process is streaming, by message id, so a stop can reach them."""

    def __init__(self) -> None:
        self.running: dict[str, asyncio.Event] = {}

    def stop(self, message_id: str) -> None:
        event = self.running.get(message_id)
        if event is None or event.is_set():
            raise ReplyNotRunning("this reply has already ended")
        event.set()


def replies(ctx: AppContext) -> ChatReplies:
    registry = ctx.extras.get("chat.replies")
    if registry is None:
        registry = ctx.extras["chat.replies"] = ChatReplies()
    assert isinstance(registry, ChatReplies)
    return registry


async def start_reply(ctx: AppContext, draft: Draft, *, request_id: str) -> ChatReply:
    call = await admit_caller(
        ctx,
        Caller.for_web(draft.account_id),
        draft.body,
        draft.body_size,
        endpoint="web",
        stream=True,
        request_id=request_id,
    )
    stream = await open_metered(call)
    try:
        async with ctx.transaction() as session:
            begun = await ChatService(session, ctx.clock, ctx.settings).begin(
                draft, model=call.rate.model.id, request_id=request_id
            )
    except BaseException:
        await stream.close()
        raise
    return ChatReply(ctx, stream, begun, hold=call.meter.held)


class ChatReply:
    def __init__(self, ctx: AppContext, stream: MeteredEvents, begun: Begun, *, hold: int):
        self.ctx = ctx
        self.stream = stream
        self.begun = begun
        self.hold = hold
        self.model = stream.call.rate.model
        self.parts: list[str] = []
        self.stopped = False
        self.cut = False  # upstream ended without completing the message
        self.error: str | None = None
        self.stop_signal = asyncio.Event()
        self._result: dict[str, Any] | None = None
        self._finishing: asyncio.Lock = asyncio.Lock()
        replies(ctx).running[begun.message_id] = self.stop_signal

    def _start(self) -> bytes:
        begun = self.begun
        return encode_event(
            "start",
            {
                "conversation_id": begun.conversation_id,
                "url": f"/chat/{begun.conversation_id}",
                "title": begun.title,
                "new_conversation": begun.new_conversation,
                "user_message_id": begun.user_message_id,
                "message_id": begun.message_id,
                "model": self.model.id,
                "hold": self.hold,
            },
        )

    async def events(self) -> AsyncIterator[bytes]:
        yield self._start()
        stop = asyncio.ensure_future(self.stop_signal.wait())
        upstream = aiter(self.stream)
        try:
            while True:
                pending = asyncio.ensure_future(anext(upstream))
                await asyncio.wait((pending, stop), return_when=asyncio.FIRST_COMPLETED)
                if not pending.done():
                    pending.cancel()
                    with contextlib.suppress(BaseException):
                        await pending
                    self.stopped = True
                    break
                try:
                    event = pending.result()
                except StopAsyncIteration:
                    self.cut = not self.stream.tracker.completed
                    break
                piece = self._observe(event)
                if piece is not None:
                    yield piece
        except BaseException:
            stop.cancel()
            await to_completion(self.finish())
            raise
        stop.cancel()
        yield encode_event("done", await to_completion(self.finish()))

    def _observe(self, event: dict[str, Any] | None) -> bytes | None:
        if event is None:
            return KEEP_ALIVE
        kind = event.get("type")
        if kind == "content_block_delta":
            delta = event.get("delta") or {}
            text = delta.get("text") if delta.get("type") == "text_delta" else None
            if text:
                self.parts.append(text)
                return encode_event("delta", {"text": text})
        elif kind == "error":
            self.error = str((event.get("error") or {}).get("message") or "upstream error")
        return None

    async def finish(self) -> dict[str, Any]:
        """Settle (if the stream did not complete) and write the reply's final state: once."""
        async with self._finishing:
            if self._result is None:
                self._result = await self._finish()
            return self._result

    async def _finish(self) -> dict[str, Any]:
        stream = self.stream
        try:
            await stream.close()
        finally:
            replies(self.ctx).running.pop(self.begun.message_id, None)
        charge = stream.charge
        tracker = stream.tracker
        usage, _outcome = tracker.billable()
        if tracker.completed:
            status = "complete"
        elif tracker.errored or self.cut:
            status = "failed"
        else:
            status = "stopped"  # the stop button, or the browser went away
        text = "".join(self.parts)
        credits = charge.credits if charge is not None else 0
        values = {
            "content": text,
            "content_html": render_markdown(text),
            "status": status,
            "credits_charged": credits,
            "receipt_id": charge.receipt_id if charge is not None else None,
            "input_tokens": usage.input_tokens if usage is not None else 0,
            "output_tokens": usage.output_tokens if usage is not None else 0,
        }
        async with self.ctx.transaction() as session:
            await ChatService(session, self.ctx.clock, self.ctx.settings).finish(
                self.begun.message_id,
                conversation_id=self.begun.conversation_id,
                account_id=stream.call.caller.account_id,
                values=values,
            )
        log.info(
            "chat.reply_finished",
            message_id=self.begun.message_id,
            status=status,
            credits=credits,
            request_id=stream.call.meter.request_id,
        )
        receipt_id = values["receipt_id"]
        return {
            **values,
            "message_id": self.begun.message_id,
            "conversation_id": self.begun.conversation_id,
            "model": self.model.id,
            "model_name": self.model.display_name,
            "receipt_url": RECEIPT_URL.format(receipt_id) if receipt_id else None,
            "balance": charge.remaining if charge is not None else None,
            "error": self.error,
        }
