"""Request translation between OpenAI Chat Completions and Anthropic Messages.

``openai_request_to_anthropic`` turns what a client sent to ``/v1/chat/completions`` into the
canonical (Anthropic) body. ``anthropic_request_to_openai`` turns the canonical body into what
an OpenAI-compatible provider (Moonshot) accepts: system text and ``role:"system"`` entries
become system messages, ``tool_use`` ↔ ``tool_calls`` (input object ↔ arguments string),
``tool_result`` ↔ ``role:"tool"``, thinking ↔ ``reasoning_content`` (Moonshot wants it echoed),
Anthropic-only fields (``thinking``, ``output_config``, ``context_management``,
``cache_control``, ``service_tier``, ``top_k``...) are dropped, ``max_tokens`` is clamped to
the model's limit and sent as ``max_completion_tokens``, and streamed calls always ask for
the final usage chunk (``stream_options.include_usage``) so nothing is ever billed at zero.
"""

from __future__ import annotations

import json
from typing import Any

from caicaini.errors import InvalidInput
from caicaini.kit.sse import dumps

DEFAULT_MAX_TOKENS = 4096
CHAT_ROLES = frozenset({"system", "developer", "user", "assistant", "tool"})


# -- Anthropic -> OpenAI ---------------------------------------------------------------------
def anthropic_request_to_openai(
    body: dict[str, Any], max_output_tokens: int, *, model: str | None = None
) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    system = _text_of(body.get("system"))
    if system:
        messages.append({"role": "system", "content": system})
    for message in body.get("messages") or []:
        role = message.get("role")
        if role == "assistant":
            messages.append(_assistant_to_openai(message.get("content")))
        elif role == "system":
            messages.append({"role": "system", "content": _text_of(message.get("content"))})
        else:
            messages.extend(_user_to_openai(message.get("content")))
    out: dict[str, Any] = {"model": model or body.get("model"), "messages": messages}
    requested = body.get("max_tokens")
    limit = max_output_tokens if not isinstance(requested, int) else requested
    out["max_completion_tokens"] = max(1, min(limit, max_output_tokens))
    if body.get("stream"):
        out["stream"] = True
        out["stream_options"] = {"include_usage": True}
    for name in ("temperature", "top_p"):
        if body.get(name) is not None:
            out[name] = body[name]
    if body.get("stop_sequences"):
        out["stop"] = list(body["stop_sequences"])
    tools = [_tool_to_openai(t) for t in body.get("tools") or [] if "input_schema" in t]
    if tools:
        out["tools"] = tools
        choice = body.get("tool_choice")
        if choice:
            mapped = _tool_choice_to_openai(choice)
            if mapped is not None:
                out["tool_choice"] = mapped
            if choice.get("disable_parallel_tool_use"):
                out["parallel_tool_calls"] = False
    return out


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n\n".join(
        b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"
    )


def _assistant_to_openai(content: Any) -> dict[str, Any]:
    if isinstance(content, str):
        return {"role": "assistant", "content": content}
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    reasoning: list[str] = []
    for block in content or []:
        kind = block.get("type")
        if kind == "text":
            texts.append(block.get("text", ""))
        elif kind == "tool_use":
            fn = {"name": block.get("name", ""), "arguments": dumps(block.get("input") or {})}
            calls.append({"id": block.get("id", ""), "type": "function", "function": fn})
        elif kind == "thinking" and block.get("thinking"):
            reasoning.append(block["thinking"])
    out: dict[str, Any] = {"role": "assistant", "content": "".join(texts) or None}
    if calls:
        out["tool_calls"] = calls
    elif out["content"] is None:
        out["content"] = ""
    if reasoning:
        out["reasoning_content"] = "".join(reasoning)
    return out


def _user_to_openai(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    results: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in content or []:
        kind = block.get("type")
        if kind == "tool_result":
            text = _result_text(block.get("content"))
            if block.get("is_error") and not text.startswith("Error"):
                text = "Error: " + text
            results.append(
                {"role": "tool", "tool_call_id": block.get("tool_use_id", ""), "content": text}
            )
        elif kind == "text":
            parts.append({"type": "text", "text": block.get("text", "")})
        elif kind == "image":
            url = _image_url(block.get("source") or {})
            if url:
                parts.append({"type": "image_url", "image_url": {"url": url}})
        elif kind == "document":
            source = block.get("source") or {}
            if source.get("type") == "text":
                parts.append({"type": "text", "text": source.get("data", "")})
    if parts:
        if all(p["type"] == "text" for p in parts):
            results.append({"role": "user", "content": "\n\n".join(p["text"] for p in parts)})
        else:
            results.append({"role": "user", "content": parts})
    return results


def _result_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(b.get("text", "") for b in content if b.get("type") == "text")
    return ""


def _image_url(source: dict[str, Any]) -> str | None:
    if source.get("type") == "base64":
        return f"data:{source.get('media_type', 'image/png')};base64,{source.get('data', '')}"
    if source.get("type") == "url":
        return str(source.get("url"))
    return None


def _tool_to_openai(tool: dict[str, Any]) -> dict[str, Any]:
    fn: dict[str, Any] = {"name": tool["name"], "parameters": tool.get("input_schema") or {}}
    if tool.get("description"):
        fn["description"] = tool["description"]
    return {"type": "function", "function": fn}


def _tool_choice_to_openai(choice: dict[str, Any]) -> Any:
    kind = choice.get("type")
    if kind == "tool":
        return {"type": "function", "function": {"name": choice.get("name")}}
    return {"auto": "auto", "any": "required", "none": "none"}.get(kind or "")


# -- OpenAI -> Anthropic ---------------------------------------------------------------------
class CanonicalTurns:
    """The canonical ``system`` and ``messages`` built from an OpenAI-family edge's turns
    (Chat Completions messages, Responses input items).

    Leading system/developer text becomes ``system``; later instructions stay in place as
    ``role:"system"`` entries. Consecutive turns of one role merge, as Anthropic expects
    alternation (a tool call's assistant turn, its results' user turn...).
    """

    __slots__ = ("messages", "system")

    def __init__(self) -> None:
        self.system: list[str] = []
        self.messages: list[dict[str, Any]] = []

    def instruct(self, text: str) -> None:
        if self.messages:
            self.messages.append({"role": "system", "content": text})
        else:
            self.system.append(text)

    def add(self, role: str, blocks: list[dict[str, Any]]) -> None:
        messages = self.messages
        if messages and messages[-1]["role"] == role and isinstance(messages[-1]["content"], list):
            messages[-1]["content"].extend(blocks)
        else:
            messages.append({"role": role, "content": blocks})

    def body(self, model: Any, max_tokens: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"model": model, "max_tokens": max_tokens, "messages": self.messages}
        if self.system:
            out["system"] = "\n\n".join(self.system)
        return out


def openai_request_to_anthropic(
    body: dict[str, Any], *, default_max_tokens: int = DEFAULT_MAX_TOKENS
) -> dict[str, Any]:
    """The canonical body for a ``/v1/chat/completions`` request (our model id kept).

    Leading system/developer messages become ``system``; later ones stay as ``role:"system"``
    entries. Without ``max_tokens``/``max_completion_tokens`` the given default applies.
    """
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise InvalidInput("messages: a list of messages is required", field="messages")
    if body.get("n") not in (None, 1):
        raise InvalidInput("n: only one choice per request is supported", field="n")
    turns = CanonicalTurns()
    for message in body["messages"]:
        if not isinstance(message, dict) or message.get("role") not in CHAT_ROLES:
            raise InvalidInput(
                "messages: each message is an object with the role system, developer, user, "
                "assistant or tool",
                field="messages",
            )
        role = message["role"]
        content = checked_content(message.get("content"), optional=role == "assistant")
        if role in ("system", "developer"):
            turns.instruct(_part_text(content))
        elif role == "assistant":
            blocks = _assistant_to_anthropic(content, message.get("tool_calls"))
            if blocks:  # Anthropic refuses empty assistant turns; they carry nothing anyway
                turns.add("assistant", blocks)
        elif role == "tool":
            block = tool_result(message.get("tool_call_id", ""), _part_text(content))
            turns.add("user", [block])
        else:
            turns.add("user", _user_parts_to_anthropic(content))
    limit = body.get("max_completion_tokens") or body.get("max_tokens") or default_max_tokens
    out = turns.body(body.get("model"), limit)
    if flag(body, "stream"):
        out["stream"] = True
    sampling_to_anthropic(body, out)
    stop = _stop_sequences(body.get("stop"))
    if stop:
        out["stop_sequences"] = stop
    tools_to_anthropic(
        out, _functions(body.get("tools")), body.get("tool_choice"), body.get("parallel_tool_calls")
    )
    return out


def flag(raw: dict[str, Any], name: str) -> bool | None:
    """A boolean request field (absent: None); anything else is refused."""
    value = raw.get(name)
    if value is not None and not isinstance(value, bool):
        raise InvalidInput(f"{name}: must be true or false", field=name)
    return value


def checked_content(content: Any, *, optional: bool = False) -> Any:
    """A Chat Completions message's content: a string or a list of parts (objects with a
    type; a text part's text a string); ``None`` only where the format allows it."""
    if isinstance(content, str) or (content is None and optional):
        return content
    if isinstance(content, list) and all(
        isinstance(p, dict)
        and isinstance(p.get("type"), str)
        and isinstance(p.get("text", ""), str)
        for p in content
    ):
        return content
    raise InvalidInput(
        "messages: a message's content is a string or a list of content parts "
        "(objects with a type; text parts with a string text)",
        field="messages",
    )


def _stop_sequences(stop: Any) -> list[str]:
    if stop is None or stop == "":
        return []
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        return list(stop)
    raise InvalidInput("stop: a string or a list of strings is required", field="stop")


def _functions(tools: Any) -> list[Any]:
    """The function definitions of Chat Completions ``tools``; anything else is refused."""
    if tools is None:
        return []
    if not isinstance(tools, list) or not all(
        isinstance(t, dict) and isinstance(t.get("function"), dict) for t in tools
    ):
        raise InvalidInput(
            'tools: a list of {"type": "function", "function": {...}} objects is required',
            field="tools",
        )
    return [t["function"] for t in tools]


def sampling_to_anthropic(body: dict[str, Any], out: dict[str, Any]) -> None:
    """``temperature`` (OpenAI's 0-2 clamped to Anthropic's 0-1) and ``top_p``."""
    for name in ("temperature", "top_p"):
        value = body.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"{name}: a number is required", field=name)
        out[name] = min(float(value), 1.0) if name == "temperature" else value


def tools_to_anthropic(
    out: dict[str, Any], functions: list[Any], choice: Any, parallel: Any
) -> None:
    """Function definitions (``name``, ``description``, ``parameters``) and the tool choice
    (``auto|required|none`` or a named function) as canonical ``tools`` / ``tool_choice``."""
    if not functions:
        return
    out["tools"] = [_tool_to_anthropic(fn) for fn in functions]
    mapped = _tool_choice_to_anthropic(choice)
    if parallel is False:
        mapped = (mapped or {"type": "auto"}) | {"disable_parallel_tool_use": True}
    if mapped is not None:
        out["tool_choice"] = mapped


def tool_result(tool_use_id: Any, content: Any) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_use_id or "", "content": content}


def _part_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _user_parts_to_anthropic(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    blocks: list[dict[str, Any]] = []
    for part in content or []:
        kind = part.get("type")
        if kind == "text":
            blocks.append({"type": "text", "text": part.get("text", "")})
        elif kind == "image_url":
            image = part.get("image_url")
            if not isinstance(image, dict) or not isinstance(image.get("url"), str):
                raise InvalidInput(
                    'messages: an image_url part is {"image_url": {"url": "..."}}',
                    field="messages",
                )
            blocks.append({"type": "image", "source": image_source(image["url"])})
    return blocks


def image_source(url: str) -> dict[str, Any]:
    """A canonical image (or document) source from a URL or a ``data:`` URL."""
    if url.startswith("data:") and ";base64," in url:
        head, data = url[5:].split(";base64,", 1)
        return {"type": "base64", "media_type": head or "image/png", "data": data}
    return {"type": "url", "url": url}


def _assistant_to_anthropic(content: Any, tool_calls: Any) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    text = _part_text(content)
    if text:
        blocks.append({"type": "text", "text": text})
    if tool_calls is not None and not (
        isinstance(tool_calls, list)
        and all(isinstance(c, dict) and isinstance(c.get("function"), dict) for c in tool_calls)
    ):
        raise InvalidInput(
            'messages: tool_calls is a list of {"id", "function": {...}} objects',
            field="messages",
        )
    for call in tool_calls or []:
        fn = call["function"]
        blocks.append(tool_use(call.get("id"), fn.get("name"), fn.get("arguments")))
    return blocks


def tool_use(call_id: Any, name: Any, arguments: Any) -> dict[str, Any]:
    """A canonical tool call from an OpenAI-style one (arguments a JSON string)."""
    return {
        "type": "tool_use",
        "id": call_id or "",
        "name": name or "",
        "input": parse_arguments(arguments),
    }


def parse_arguments(raw: Any) -> dict[str, Any]:
    """Tool-call arguments (a JSON string) as an object; {} when absent or malformed."""
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw or "{}")
    except (ValueError, TypeError):
        return {}
    return value if isinstance(value, dict) else {}


def _tool_to_anthropic(fn: Any) -> dict[str, Any]:
    if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
        raise InvalidInput("tools: each function needs a name", field="tools")
    schema = fn.get("parameters") or {"type": "object", "properties": {}}
    out: dict[str, Any] = {"name": fn["name"], "input_schema": schema}
    if fn.get("description"):
        out["description"] = fn["description"]
    return out


def _tool_choice_to_anthropic(choice: Any) -> dict[str, Any] | None:
    """``auto|required|none``, or a named function: Chat Completions' ``{"type":"function",
    "function":{"name"}}`` or the Responses API's ``{"type":"function","name"}``."""
    if isinstance(choice, dict):
        name = choice.get("name") or (choice.get("function") or {}).get("name")
        return {"type": "tool", "name": name} if name else None
    return {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}.get(
        choice if isinstance(choice, str) else ""
    )
