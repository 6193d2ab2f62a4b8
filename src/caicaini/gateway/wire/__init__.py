"""Translation between the wire formats; the canonical format is Anthropic Messages (dicts).

Requests (``requests.py``), complete responses, stop reasons and usage (``responses.py``),
streams event by event (``streams.py``). See wire-formats.md §3 for the rules.
"""

from caicaini.gateway.wire.requests import (
    anthropic_request_to_openai,
    openai_request_to_anthropic,
    parse_arguments,
)
from caicaini.gateway.wire.responses import (
    anthropic_response_to_openai,
    find_openai_usage,
    finish_to_stop,
    openai_response_to_anthropic,
    stop_to_finish,
    usage_from_openai,
    usage_to_openai,
)
from caicaini.gateway.wire.streams import AnthropicToOpenAIStream, OpenAIToAnthropicStream

__all__ = [
    "AnthropicToOpenAIStream",
    "OpenAIToAnthropicStream",
    "anthropic_request_to_openai",
    "anthropic_response_to_openai",
    "find_openai_usage",
    "finish_to_stop",
    "openai_request_to_anthropic",
    "openai_response_to_anthropic",
    "parse_arguments",
    "stop_to_finish",
    "usage_from_openai",
    "usage_to_openai",
]
