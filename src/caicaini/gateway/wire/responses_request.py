"""A Responses API request (``POST /v1/responses``) as the canonical (Anthropic) body.

    instructions             → system, with the input's leading system/developer messages
    input: a string          → one user turn
    input items
      message                → a turn of its role: input_text / output_text / refusal text,
                               input_image (URL or data: URL), input_file (data: URL or URL)
                               as text, image and document blocks; system and developer
                               messages are instructions, as in Chat Completions
      function_call          → an assistant tool_use (call_id → id, arguments parsed)
      function_call_output   → a user tool_result (a string, or text and image parts)
      reasoning              → an assistant thinking block (its text; encrypted_content is
                               the signature): Moonshot gets it back as reasoning_content,
                               the Anthropic adapter drops unsigned ones (Anthropic refuses them)
    tools: function          → canonical tools; a namespace's functions are named
                               ``<namespace>__<name>`` and answered with ``namespace`` again
    tool_choice, parallel_tool_calls, temperature, top_p, max_output_tokens (default
    ``DEFAULT_MAX_OUTPUT_TOKENS``, lowered to what is affordable like any max_tokens)

Accepted and not forwarded: ``store`` (nothing is ever stored: answered ``store: false``),
``metadata`` (echoed back), ``reasoning``, ``include``, ``text`` with the plain text format,
``truncation``, ``user``, ``prompt_cache_key``, ``safety_identifier``, ``service_tier`` and
other fields this module does not know. Refused with 400: ``previous_response_id`` and
``conversation`` (they need stored responses), ``background``, ``prompt``, item types, content
parts and tool types other than the above (hosted tools such as ``web_search`` run on OpenAI's
servers), text formats other than ``text``, and flags that are not booleans.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NoReturn

from caicaini.errors import InvalidInput
from caicaini.gateway.wire.requests import (
    CanonicalTurns,
    flag,
    image_source,
    sampling_to_anthropic,
    tool_result,
    tool_use,
    tools_to_anthropic,
)

DEFAULT_MAX_OUTPUT_TOKENS = 32_000  # what coding agents ask for (Claude Code: 32,000)
NAMESPACE_SEPARATOR = "__"
NOT_STORED = "responses are not stored here (every response is store: false)"
CODEX_WEB_SEARCH = 'for Codex CLI, set web_search = "disabled" in its config.toml'
FLAGS = ("stream", "store", "background", "parallel_tool_calls")
STATELESS = {
    "previous_response_id": f"{NOT_STORED}; send the whole conversation in input",
    "conversation": f"{NOT_STORED}; send the whole conversation in input",
    "prompt": "stored prompt templates are not served; send instructions and input",
}
TEXT_PARTS = {"input_text": "text", "output_text": "text", "text": "text", "refusal": "refusal"}
METADATA_KEYS, METADATA_KEY_CHARS, METADATA_VALUE_CHARS = 16, 64, 512


@dataclass(slots=True)
class ResponsesRequest:
    """The canonical body and what the answer needs from the request."""

    body: dict[str, Any]  # canonical (Anthropic Messages)
    model: str
    stream: bool
    echo: dict[str, Any]  # the request parameters a response object repeats
    namespaces: dict[str, tuple[str, str]] = field(default_factory=dict)  # flat → (ns, name)


def responses_request_to_anthropic(raw: dict[str, Any]) -> ResponsesRequest:
    flags = {name: flag(raw, name) for name in FLAGS}
    for name, reason in STATELESS.items():
        if raw.get(name) is not None:
            raise InvalidInput(f"{name}: {reason}", field=name)
    if flags["background"]:
        raise InvalidInput(f"background: {NOT_STORED}; call without it", field="background")
    _check_text_format(raw.get("text"))
    metadata = _metadata(raw.get("metadata"))
    turns = CanonicalTurns()
    instructions = raw.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise InvalidInput("instructions: a string is required", field="instructions")
        if instructions:
            turns.instruct(instructions)
    namespaces: dict[str, tuple[str, str]] = {}
    functions = _functions(raw.get("tools"), namespaces)
    _input(turns, raw.get("input"), namespaces)
    if not turns.messages:
        raise InvalidInput("input: there is no message to answer", field="input")
    body = turns.body(raw.get("model"), _max_output_tokens(raw))
    if flags["stream"]:
        body["stream"] = True
    sampling_to_anthropic(raw, body)
    choice = raw.get("tool_choice")
    _check_tool_choice(choice)
    tools_to_anthropic(body, functions, choice, flags["parallel_tool_calls"])
    echo = _echo(raw, metadata, parallel=flags["parallel_tool_calls"] is not False)
    return ResponsesRequest(body, str(raw.get("model")), flags["stream"] is True, echo, namespaces)


def _max_output_tokens(raw: dict[str, Any]) -> int:
    limit = raw.get("max_output_tokens")
    if limit is None:
        return DEFAULT_MAX_OUTPUT_TOKENS
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidInput(
            "max_output_tokens: a positive integer is required", field="max_output_tokens"
        )
    return limit


def _echo(raw: dict[str, Any], metadata: dict[str, str], *, parallel: bool) -> dict[str, Any]:
    """The request's parameters as a response object repeats them (OpenAI's defaults)."""
    choice = raw.get("tool_choice")
    return {
        "instructions": raw.get("instructions"),
        "max_output_tokens": raw.get("max_output_tokens"),
        "metadata": metadata,
        "parallel_tool_calls": parallel,
        "previous_response_id": None,
        "reasoning": raw.get("reasoning") or {"effort": None, "summary": None},
        "store": False,
        "temperature": raw.get("temperature", 1.0),
        "text": raw.get("text") or {"format": {"type": "text"}},
        "tool_choice": choice if choice is not None else "auto",
        "tools": raw.get("tools") or [],
        "top_p": raw.get("top_p", 1.0),
        "truncation": raw.get("truncation") or "disabled",
        "user": raw.get("user"),
    }


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if (
        not isinstance(value, dict)
        or len(value) > METADATA_KEYS
        or not all(
            isinstance(k, str)
            and isinstance(v, str)
            and len(k) <= METADATA_KEY_CHARS
            and len(v) <= METADATA_VALUE_CHARS
            for k, v in value.items()
        )
    ):
        raise InvalidInput(
            f"metadata: up to {METADATA_KEYS} string values under keys of at most "
            f"{METADATA_KEY_CHARS} characters ({METADATA_VALUE_CHARS} per value)",
            field="metadata",
        )
    return value


def _check_text_format(text: Any) -> None:
    if text is None:
        return
    fmt = text.get("format") if isinstance(text, dict) else "?"
    kind = fmt.get("type") if isinstance(fmt, dict) else fmt
    if kind not in (None, "text"):
        raise InvalidInput(
            f"text.format: only the text format is served, not {kind!r}", field="text.format"
        )


def _check_tool_choice(choice: Any) -> None:
    if choice is None or choice in ("auto", "none", "required"):
        return
    if isinstance(choice, dict) and choice.get("type") == "function" and choice.get("name"):
        return
    raise InvalidInput(
        'tool_choice: "auto", "none", "required" or {"type": "function", "name": ...}',
        field="tool_choice",
    )


# -- tools -----------------------------------------------------------------------------------
def _functions(tools: Any, namespaces: dict[str, tuple[str, str]]) -> list[dict[str, Any]]:
    """The function definitions, a namespace's under flat names (recorded in ``namespaces``)."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise InvalidInput("tools: a list of tools is required", field="tools")
    functions: list[dict[str, Any]] = []
    for index, tool in enumerate(tools):
        kind = tool.get("type") if isinstance(tool, dict) else None
        if kind == "function":
            functions.append(tool)
        elif kind == "namespace" and isinstance(tool.get("name"), str):
            for inner in tool.get("tools") or []:
                if not isinstance(inner, dict) or inner.get("type") != "function":
                    _refuse_tool(f"tools[{index}].tools", inner)
                flat = f"{tool['name']}{NAMESPACE_SEPARATOR}{inner.get('name')}"
                namespaces[flat] = (tool["name"], str(inner.get("name")))
                functions.append({**inner, "name": flat})
        else:
            _refuse_tool(f"tools[{index}]", tool)
    return functions


def _refuse_tool(where: str, tool: Any) -> NoReturn:
    kind = tool.get("type") if isinstance(tool, dict) else None
    hint = f"; {CODEX_WEB_SEARCH}" if kind in ("web_search", "web_search_preview") else ""
    raise InvalidInput(
        f"{where}: tool type {kind!r} is not served here: only function tools are (hosted "
        f"tools run on OpenAI's own servers){hint}",
        field=where,
    )


# -- input items -----------------------------------------------------------------------------
Items = dict[str, Callable[[CanonicalTurns, dict[str, Any], str, dict[str, tuple[str, str]]], None]]


def _input(turns: CanonicalTurns, value: Any, namespaces: dict[str, tuple[str, str]]) -> None:
    if isinstance(value, str):
        if value:
            turns.add("user", [{"type": "text", "text": value}])
        return
    if not isinstance(value, list):
        raise InvalidInput("input: a string or a list of items is required", field="input")
    for index, item in enumerate(value):
        where = f"input[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where}: each item must be an object", field=where)
        kind = item.get("type", "message")
        handler = ITEMS.get(kind)
        if handler is None:
            raise InvalidInput(_unknown_item(kind, where), field=where)
        handler(turns, item, where, namespaces)


def _unknown_item(kind: Any, where: str) -> str:
    if kind == "item_reference":
        return f"{where}: item references need stored items; {NOT_STORED}, send the item itself"
    return (
        f"{where}: item type {kind!r} is not supported (message, function_call, "
        "function_call_output and reasoning are)"
    )


def _message(turns: CanonicalTurns, item: dict[str, Any], where: str, _ns: Any) -> None:
    role = item.get("role")
    if role not in ("user", "assistant", "system", "developer"):
        raise InvalidInput(
            f"{where}.role: user, assistant, system or developer", field=f"{where}.role"
        )
    blocks = _parts(item.get("content"), f"{where}.content")
    if role in ("system", "developer"):
        if any(block["type"] != "text" for block in blocks):
            raise InvalidInput(f"{where}: {role} messages hold text only", field=where)
        turns.instruct("\n".join(block["text"] for block in blocks))
    elif blocks:  # Anthropic refuses empty turns; they carry nothing anyway
        if role == "assistant" and any(block["type"] != "text" for block in blocks):
            raise InvalidInput(f"{where}: assistant messages hold text only", field=where)
        turns.add(role, blocks)


def _function_call(
    turns: CanonicalTurns, item: dict[str, Any], where: str, namespaces: dict[str, Any]
) -> None:
    call_id, name = item.get("call_id"), item.get("name")
    if not isinstance(call_id, str) or not isinstance(name, str):
        raise InvalidInput(f"{where}: call_id and name are required", field=where)
    namespace = item.get("namespace")
    if isinstance(namespace, str) and namespace:
        name = f"{namespace}{NAMESPACE_SEPARATOR}{name}"
    turns.add("assistant", [tool_use(call_id, name, item.get("arguments"))])


def _function_call_output(
    turns: CanonicalTurns, item: dict[str, Any], where: str, _ns: Any
) -> None:
    call_id, output = item.get("call_id"), item.get("output")
    if not isinstance(call_id, str):
        raise InvalidInput(f"{where}.call_id: required", field=f"{where}.call_id")
    if not isinstance(output, str):
        output = _parts(output, f"{where}.output")
    turns.add("user", [tool_result(call_id, output)])


def _reasoning(turns: CanonicalTurns, item: dict[str, Any], where: str, _ns: Any) -> None:
    """Reasoning goes back as a thinking block when it has text (see the module docstring)."""
    parts = item.get("content") or item.get("summary") or []
    if not isinstance(parts, list):
        raise InvalidInput(f"{where}: summary and content are lists of parts", field=where)
    text = "".join(p.get("text") or "" for p in parts if isinstance(p, dict))
    if text:
        signature = item.get("encrypted_content") or ""
        turns.add("assistant", [{"type": "thinking", "thinking": text, "signature": signature}])


ITEMS: Items = {
    "message": _message,
    "function_call": _function_call,
    "function_call_output": _function_call_output,
    "reasoning": _reasoning,
}


# -- content parts ---------------------------------------------------------------------------
def _parts(content: Any, where: str) -> list[dict[str, Any]]:
    """Canonical blocks from a content string or list of parts (empty texts left out)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}] if content else []
    if not isinstance(content, list):
        raise InvalidInput(f"{where}: a string or a list of parts is required", field=where)
    blocks: list[dict[str, Any]] = []
    for index, part in enumerate(content):
        at = f"{where}[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in TEXT_PARTS:
            text = part.get(TEXT_PARTS[kind])
            if not isinstance(text, str):
                raise InvalidInput(f"{at}.{TEXT_PARTS[kind]}: a string is required", field=at)
            if text:
                blocks.append({"type": "text", "text": text})
        elif kind == "input_image":
            blocks.append({"type": "image", "source": _source(part, "image_url", at)})
        elif kind == "input_file":
            blocks.append(_document(part, at))
        else:
            raise InvalidInput(
                f"{at}: content part type {kind!r} is not supported (input_text, output_text, "
                "refusal, input_image and input_file are)",
                field=at,
            )
    return blocks


def _source(part: dict[str, Any], name: str, at: str) -> dict[str, Any]:
    url = part.get(name)
    if isinstance(url, str) and url:
        return image_source(url)
    if part.get("file_id"):
        raise InvalidInput(f"{at}.file_id: files are not stored here; send {name}", field=at)
    raise InvalidInput(f"{at}.{name}: required", field=at)


def _document(part: dict[str, Any], at: str) -> dict[str, Any]:
    """A file as a document block: PDF (or any base64 data) as is, plain text decoded."""
    data = part.get("file_data")
    if isinstance(data, str) and data:
        if not data.startswith("data:"):
            data = f"data:application/pdf;base64,{data}"
        source = image_source(data)
    else:
        source = _source(part, "file_url", at)
    if source.get("media_type", "").startswith("text/"):
        try:
            text = base64.b64decode(source["data"], validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise InvalidInput(f"{at}.file_data: malformed base64 text", field=at) from None
        source = {"type": "text", "media_type": "text/plain", "data": text}
    return {"type": "document", "source": source}
