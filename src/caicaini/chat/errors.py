"""Errors of the web chat."""

from __future__ import annotations

from caicaini.errors import Conflict, InvalidInput, NotFound


class EmptyPrompt(InvalidInput):
    """A message needs some text: an empty prompt is never sent (nor paid for)."""

    code = "empty_prompt"


class PromptTooLong(InvalidInput):
    """Prompts and system prompts have a size limit, stated in the message."""

    code = "prompt_too_long"


class ConversationNotFound(NotFound):
    """No such conversation, or another account's: never tell which."""

    code = "conversation_not_found"


class MessageNotFound(NotFound):
    """No such message in this conversation, or another account's."""

    code = "message_not_found"


class ReplyNotRunning(Conflict):
    """Only a reply still being written can be stopped."""

    code = "reply_not_running"
