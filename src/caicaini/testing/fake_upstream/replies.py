"""Deterministic replies and token counts shared by both wire formats of the fake upstream.

Token accounting is an estimate a test can recompute: input = ceil(characters of the compact
JSON of system + messages + tools / 4) (at least 1); each streamed text piece (a word with
its trailing space) is one output token; a tool call costs ceil(len(name + arguments) / 4).
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from caicaini.testing.fake_upstream.script import Behaviour

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_WORDS = re.compile(r"\S+\s*")
_DIRECTIVE = re.compile(r"\[fake[^\]]*\]")
_LOREM = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
]
_ids = itertools.count(1)


def next_id(prefix: str) -> str:
    return f"{prefix}{next(_ids):024x}"


def estimate_tokens(*parts: Any) -> int:
    chars = sum(len(p) if isinstance(p, str) else len(_dumps(p)) for p in parts if p)
    return max(1, math.ceil(chars / 4))


def words(text: str) -> list[str]:
    return _WORDS.findall(text)


@dataclass
class ToolCall:
    id: str
    name: str
    input: dict[str, Any]

    @property
    def arguments(self) -> str:
        return _dumps(self.input)

    def argument_pieces(self) -> list[str]:
        """The arguments JSON split in a few pieces, as providers stream it."""
        text = self.arguments
        step = max(1, math.ceil(len(text) / 4))
        return [text[i : i + step] for i in range(0, len(text), step)]


@dataclass
class Reply:
    pieces: list[str]
    tool: ToolCall | None
    stop: str  # Anthropic stop_reason: end_turn | max_tokens | tool_use
    input_tokens: int
    output_tokens: int
    thinking: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.pieces)


@dataclass
class Conversation:
    """What a reply depends on, extracted from either wire format."""

    last_user_text: str
    tool_result: str | None
    tools: list[tuple[str, dict[str, Any]]]  # (name, JSON schema)
    input_tokens: int
    max_tokens: int | None


def plan_reply(conv: Conversation, behaviour: Behaviour) -> Reply:
    tool: ToolCall | None = None
    if behaviour.text is not None:
        pieces = words(behaviour.text)
    elif behaviour.output_tokens is not None:
        pieces = [_LOREM[i % len(_LOREM)] + " " for i in range(behaviour.output_tokens)]
    elif conv.tool_result is not None:
        pieces = words("Got the tool result: " + _snippet(conv.tool_result, 8))
    else:
        pieces = words("Echo: " + (_snippet(conv.last_user_text, 12) or "hello"))
    wanted = behaviour.tool
    if (
        wanted is None
        and conv.tools
        and conv.tool_result is None
        and behaviour.text is None
        and "use tool" in conv.last_user_text.lower()
    ):
        wanted = conv.tools[0][0]
    if wanted is not None:
        schema = dict(conv.tools).get(wanted, {})
        tool_input = behaviour.tool_input if behaviour.tool_input is not None else example(schema)
        tool = ToolCall(next_id("toolu_fake"), wanted, tool_input)
        if behaviour.text is None:
            pieces = words(f"I will call {wanted}.")
    stop = "tool_use" if tool else "end_turn"
    tool_tokens = math.ceil(len(tool.name + tool.arguments) / 4) if tool else 0
    thinking = words(behaviour.reasoning) if behaviour.reasoning else []
    limit = conv.max_tokens
    if limit is not None and len(thinking) + len(pieces) + tool_tokens > limit:
        thinking = thinking[:limit]
        pieces = pieces[: limit - len(thinking)]
        tool, tool_tokens, stop = None, 0, "max_tokens"
    output = len(thinking) + len(pieces) + tool_tokens
    return Reply(pieces, tool, stop, conv.input_tokens, max(output, 1), thinking)


def _snippet(text: str, count: int) -> str:
    return " ".join(_DIRECTIVE.sub("", text).split()[:count])


def example(schema: dict[str, Any]) -> dict[str, Any]:
    """Arguments that satisfy a simple JSON schema: required properties with typed values."""
    props: dict[str, Any] = schema.get("properties") or {}
    names = schema.get("required") or list(props)
    return {name: _value(props.get(name) or {}) for name in names}


def _value(schema: dict[str, Any]) -> Any:
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else "string"
    return {
        "integer": 1,
        "number": 1,
        "boolean": True,
        "array": [],
        "object": example(schema) if schema.get("properties") else {},
        "null": None,
    }.get(kind or "string", "fake")


def anthropic_conversation(body: dict[str, Any]) -> Conversation:
    messages = body.get("messages") or []
    text, result = "", None
    for message in reversed(messages):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            text = content
        elif isinstance(content, list):
            texts, results = [], []
            for block in content:
                if block.get("type") == "text":
                    texts.append(block.get("text", ""))
                elif block.get("type") == "tool_result":
                    results.append(_result_text(block.get("content")))
            text = " ".join(texts)
            if results:
                result = " ".join(results)
        break
    tools = [
        (t["name"], t.get("input_schema") or {}) for t in body.get("tools") or [] if "name" in t
    ]
    tokens = estimate_tokens(body.get("system"), messages, body.get("tools"))
    return Conversation(text, result, tools, tokens, body.get("max_tokens"))


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def openai_conversation(body: dict[str, Any]) -> Conversation:
    messages = body.get("messages") or []
    text, result = "", None
    if messages and messages[-1].get("role") == "tool":
        result = _part_text(messages[-1].get("content"))
    for message in reversed(messages):
        if message.get("role") == "user":
            text = _part_text(message.get("content"))
            break
    tools = [
        (f["name"], f.get("parameters") or {})
        for t in body.get("tools") or []
        if (f := t.get("function") or {}).get("name")
    ]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    return Conversation(text, result, tools, estimate_tokens(messages, body.get("tools")), limit)


def _part_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""
