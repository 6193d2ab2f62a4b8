"""Print mode: ``caicaini-code -p PROMPT``: run the prompt (tools included) and print the
answer, or with ``--output-format json`` one object:

    {"result", "credits_charged" (every model call of the run), "request_ids", "num_turns"
     (model calls), "balance", "session_id", "model", "is_error", "error"}

Nothing is asked: what would need asking is denied unless ``--yes``. Progress (tool calls,
denials) goes to stderr; stdout carries only the answer. Errors exit non-zero with a clear
message, and the JSON still says what was charged.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from caicaini_code.agent import Agent, BudgetExceeded, RunResult, StreamFailed
from caicaini_code.api import ApiError
from caicaini_code.errors import EXIT_BUDGET, EXIT_ERROR, EXIT_INTERRUPTED, explain
from caicaini_code.io import QuietIO


def run(agent: Agent, prompt: str, output_format: str) -> int:
    result = RunResult()
    error: str | None = None
    code = 0
    try:
        result = agent.run(prompt)
        if result.interrupted:
            error, code = "interrupted", EXIT_INTERRUPTED
    except BudgetExceeded as exc:
        error, code = f"{exc} (--max-credits)", EXIT_BUDGET
    except StreamFailed as exc:
        error, code = str(exc), EXIT_ERROR
    except ApiError as exc:
        error, code = explain(exc, agent.api.base_url), EXIT_ERROR
    if output_format == "json":
        sys.stdout.write(json.dumps(_document(agent, result, error)) + "\n")
    elif result.text and error is None:
        sys.stdout.write(result.text.rstrip("\n") + "\n")
    if error is not None:
        QuietIO().error(f"caicaini-code: {error}")
    return code


def _document(agent: Agent, result: RunResult, error: str | None) -> dict[str, Any]:
    charges = agent.charges  # every model call of this run, even one that failed after
    return {
        "result": result.text,
        "credits_charged": sum(c.credits_charged for c in charges),
        "request_ids": [c.request_id for c in charges],
        "num_turns": len(charges),
        "balance": agent.balance if agent.balance is not None else _balance(agent),
        "session_id": agent.session.id,
        "model": agent.model,
        "is_error": error is not None,
        "error": error,
    }


def _balance(agent: Agent) -> int | None:
    """The balance when no model call reported it (the run stopped before the first)."""
    try:
        return int(agent.api.balance()["balance"])
    except ApiError:
        return None
