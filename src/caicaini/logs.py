"""Structured logs: JSON lines with a request id, dotted event names and key/value fields.

Secrets never reach a log line: the ``_redact`` processor masks any field whose name says
it holds one, and anything that looks like one of our API keys.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_FIELDS = re.compile(r"(password|secret|token|api_key|authorization|cookie|signature)", re.I)
_KEY_PATTERN = re.compile(r"\b(sk-cai-|cai_)[A-Za-z0-9_-]{8,}")


def _redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    for key, value in list(event.items()):
        if _SECRET_FIELDS.search(key):
            event[key] = "[redacted]"
        elif isinstance(value, str):
            event[key] = _KEY_PATTERN.sub(r"\1[redacted]", value)
    return event


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of the call, so a logger configured
    once keeps working when the stream is swapped (test capture, daemonising)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level.upper(), stream=_CurrentStderr(), format="%(message)s")
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every upstream call at INFO ("HTTP Request: POST ..."): one unstructured
    # line per message on the hot path, next to the access log that already has the request.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
