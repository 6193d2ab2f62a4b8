"""A request body as a JSON object, refusing what the rest of the code cannot carry.

``json.loads`` alone accepts two things that fail later, far from the input: nesting deep
enough to exhaust the interpreter's recursion (100,000 ``[`` fail inside the parser; a few
hundred levels parse, then fail when the body is encoded for the upstream) and lone UTF-16
surrogates (``"\\ud800"``), which no UTF-8 encoder, database or provider accepts. Both are
refused here, as bad input, with the rule in the message.

Both checks cost nothing on ordinary bodies: the depth walk runs only when the body holds
more brackets than the limit, the surrogate check only when it holds a ``\\ud`` escape.
"""

from __future__ import annotations

import json
from typing import Any

from caicaini.errors import InvalidInput

MAX_DEPTH = 64
_TOO_DEEP = (
    f"the request body is nested too deeply (at most {MAX_DEPTH} levels of arrays and objects)"
)


def parse_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object, or ``InvalidInput`` saying what is wrong with it."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise InvalidInput(_TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"malformed JSON in the request body: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _deeper_than(body, MAX_DEPTH):
        raise InvalidInput(_TOO_DEEP)
    if (b"\\ud" in raw or b"\\uD" in raw) and _has_lone_surrogate(body):
        raise InvalidInput(
            "the request body holds a lone UTF-16 surrogate (an unpaired \\ud800-\\udfff "
            "escape), which is not text"
        )
    return body


def _deeper_than(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        for child in node.values() if type(node) is dict else node:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
