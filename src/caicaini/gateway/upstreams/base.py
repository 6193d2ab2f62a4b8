"""What every model provider adapter offers the gateway, in the canonical format.

The canonical request and response format inside Caicaini is Anthropic Messages as plain
dicts. An adapter receives an ``UpstreamRequest`` (the body with OUR model id, the upstream
model id to send instead, the model's output limit, and the headers to forward) and returns
Anthropic-format messages or stream events whatever wire format it speaks upstream.

Failure contract: a call that fails before producing anything raises
``caicaini.errors.UpstreamError`` (status, Anthropic-style error type, the provider's own
wording, retry-after). Once a stream has yielded its first event, a failure is yielded as
``{"type": "error", "error": {"type": ..., "message": ...}}`` and the iterator ends: the
gateway may then still settle for what was produced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(slots=True)
class Usage:
    """Token counts of one message, Anthropic's way (input excludes the cache fields)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @property
    def total_input(self) -> int:
        return self.input_tokens + self.cache_creation_input_tokens + self.cache_read_input_tokens

    @classmethod
    def from_anthropic(cls, usage: Mapping[str, Any] | None) -> Usage:
        if not usage:
            return cls()
        return cls(
            input_tokens=usage.get("input_tokens") or 0,
            output_tokens=usage.get("output_tokens") or 0,
            cache_creation_input_tokens=usage.get("cache_creation_input_tokens") or 0,
            cache_read_input_tokens=usage.get("cache_read_input_tokens") or 0,
        )

    def update(self, usage: Mapping[str, Any] | None) -> None:
        """Apply a cumulative usage object (message_start / message_delta): last value wins,
        fields it does not mention keep their value. Never sums."""
        if not usage:
            return
        for name in (
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        ):
            value = usage.get(name)
            if value is not None:
                setattr(self, name, value)

    def to_anthropic(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }


@dataclass(slots=True)
class UpstreamRequest:
    body: dict[str, Any]  # Anthropic Messages body; "model" is OUR model id
    upstream_model: str  # sent upstream in place of body["model"]
    max_output_tokens: int  # the model's output limit (max_tokens is clamped to it)
    headers: dict[str, str] = field(default_factory=dict)  # anthropic-version/-beta, x-fake-*


class Provider(Protocol):
    name: str  # "anthropic" | "moonshot" | "demo"
    label: str  # shown to people: "Anthropic", "Moonshot AI", "Demo provider"

    async def send(self, req: UpstreamRequest) -> dict[str, Any]:
        """A complete Anthropic-format message, including ``usage``."""
        ...

    def stream(self, req: UpstreamRequest) -> AsyncIterator[dict[str, Any]]:
        """Anthropic stream events as dicts, each with ``type``."""
        ...

    async def count_tokens(self, req: UpstreamRequest) -> int: ...

    async def aclose(self) -> None: ...
