"""Translation between the wire formats; the canonical format is Anthropic Messages (dicts).

Requests (``requests.py``), complete responses, stop reasons and usage (``responses.py``),
streams event by event (``streams.py``): Anthropic <-> Chat Completions, both ways, for the
``/v1/chat/completions`` edge and the Moonshot adapter. The Responses API edge translates its
requests (``responses_request.py``, on the helpers of ``requests.py``) and answers
(``responses_output.py``) to and from the same canonical form. The formats: docs/wire-formats.md.
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
from caicaini.gateway.wire.responses_output import (
    AnthropicToResponsesStream,
    anthropic_to_responses,
)
from caicaini.gateway.wire.responses_request import (
    ResponsesRequest,
    responses_request_to_anthropic,
)
from caicaini.gateway.wire.streams import AnthropicToOpenAIStream, OpenAIToAnthropicStream

__all__ = [
    "AnthropicToOpenAIStream",
    "AnthropicToResponsesStream",
    "OpenAIToAnthropicStream",
    "ResponsesRequest",
    "anthropic_request_to_openai",
    "anthropic_response_to_openai",
    "anthropic_to_responses",
    "find_openai_usage",
    "finish_to_stop",
    "openai_request_to_anthropic",
    "openai_response_to_anthropic",
    "parse_arguments",
    "responses_request_to_anthropic",
    "stop_to_finish",
    "usage_from_openai",
    "usage_to_openai",
]
