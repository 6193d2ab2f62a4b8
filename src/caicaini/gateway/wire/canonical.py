"""The shape every canonical (Anthropic Messages) body must have before it is admitted.

Whatever the edge (the Anthropic endpoint passes the client's body on, the OpenAI-family
edges translate theirs, the web chat builds its own), the engine refuses a body it would
otherwise serve wrongly or fail on after the hold: no message at all (an upstream would
answer an empty conversation, and it would be charged), a ``stream`` flag that is not a
boolean (``"yes"`` was served unstreamed, ``"false"`` streamed by the translation), turns
that are not objects of a known role, and content that is neither text nor a list of blocks.
Block contents are the upstream's to judge: they pass on as they are.
"""

from __future__ import annotations

from typing import Any

from caicaini.errors import InvalidInput

ROLES = frozenset({"user", "assistant", "system"})  # system: later instructions, kept in place


def check_canonical(body: dict[str, Any]) -> None:
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        raise InvalidInput("stream: must be true or false", field="stream")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidInput("messages: at least one message is required", field="messages")
    for message in messages:
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise InvalidInput(
                "messages: each message is an object with the role user or assistant",
                field="messages",
            )
        content = message.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list) or not all(
            isinstance(block, dict) and isinstance(block.get("type"), str) for block in content
        ):
            raise InvalidInput(
                "messages: a message's content is a string or a list of content blocks "
                "(objects with a type)",
                field="messages",
            )
