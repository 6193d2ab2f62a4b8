"""The agent loop: one prompt, as many model calls as its tool use needs.

    prompt ─► [guard] ─► stream a message ─► charge ─► tool_use? ─► permission ─► run tool ─┐
                ▲         (markdown live)    (server's)             (rule, or ask)           │
                └─────────────────────────── tool results ◄───────────────────────────────────┘

Money: each call's charge is the server's (``caicaini_charge`` at the end of the stream, or
the usage record looked up by request id when the stream did not complete: cut upstream or
stopped with Ctrl-C, charged for what was produced). With a limit (``--max-credits``, or the
session's ``/max-credits``), the server is asked before every call what it would hold (the
"up to" price) and the run stops before a call that could take it over the limit.
"""

from __future__ import annotations

import contextlib
import json
import platform
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from caicaini_code import tools as toolbox
from caicaini_code.api import Api, ApiError, Charge, MessageStream
from caicaini_code.io import IO, NO, PROJECT, SESSION
from caicaini_code.permissions import ASK, DENY, Permissions
from caicaini_code.sessions import Session

INSTRUCTION_FILES = ("AGENTS.md", "CAICAINI.md")
DEFAULT_MAX_TOKENS = 8192
COMPACT_INSTRUCTION = (
    "Summarise our conversation so far for a fresh context: the task, what was found, what "
    "was changed (files and why), decisions made and what remains to do. Be concrete and "
    "brief. Do not call tools."
)


class BudgetExceeded(Exception):
    def __init__(self, up_to: int, spent: int, limit: int) -> None:
        super().__init__(
            f"Stopped before the next model call: it could cost up to {up_to} credits, and "
            f"this run has spent {spent} of its {limit}-credit limit."
        )
        self.up_to, self.spent, self.limit = up_to, spent, limit


class StreamFailed(Exception):
    """The stream broke off (an upstream error mid-stream, or the connection dropped)."""

    def __init__(self, message: str, charge: Charge | None) -> None:
        super().__init__(message)
        self.charge = charge


@dataclass
class Budget:
    limit: int | None = None
    spent: int = 0


@dataclass
class Reply:
    """One streamed message, as the events described it."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    charge: Charge | None = None
    error: str | None = None

    def feed(self, name: str, data: dict[str, Any], out: Any) -> None:
        kind = data.get("type", name)
        if kind == "content_block_start":
            block = dict(data.get("content_block") or {})
            if block.get("type") == "tool_use":
                block["_json"] = ""
            self.blocks.append(block)
            if block.get("text"):
                out.update(block["text"])
        elif kind == "content_block_delta" and self.blocks:
            self._delta(self.blocks[-1], data.get("delta") or {}, out)
        elif kind == "content_block_stop" and self.blocks:
            block = self.blocks[-1]
            if block.get("type") == "tool_use":
                raw = block.pop("_json", "")
                try:
                    block["input"] = json.loads(raw) if raw.strip() else {}
                except ValueError:
                    self.error = f"the model sent malformed arguments for {block.get('name')}"
        elif kind == "message_delta":
            self.stop_reason = (data.get("delta") or {}).get("stop_reason") or self.stop_reason
        elif kind == "caicaini_charge":
            self.charge = Charge(
                data["request_id"], int(data["credits_charged"]),
                data.get("credits_remaining"), data.get("receipt_id"),
            )  # fmt: skip
        elif kind == "error":
            error = data.get("error") or {}
            self.error = f"{error.get('type', 'error')}: {error.get('message', 'stream failed')}"

    @staticmethod
    def _delta(block: dict[str, Any], delta: dict[str, Any], out: Any) -> None:
        kind = delta.get("type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + delta.get("text", "")
            out.update(delta.get("text", ""))
        elif kind == "input_json_delta":
            block["_json"] = block.get("_json", "") + delta.get("partial_json", "")
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + delta.get("thinking", "")
        elif kind == "signature_delta":
            block["signature"] = block.get("signature", "") + delta.get("signature", "")

    def content(self, complete: bool) -> list[dict[str, Any]]:
        """Blocks worth keeping in the history: an unfinished reply keeps its text only."""
        kept = []
        for block in self.blocks:
            kind = block.get("type")
            if kind == "text" and block.get("text"):
                kept.append({"type": "text", "text": block["text"]})
            elif complete and kind == "tool_use" and "input" in block:
                kept.append({k: block[k] for k in ("type", "id", "name", "input")})
            elif complete and kind == "thinking":
                kept.append({k: v for k, v in block.items() if not k.startswith("_")})
        return kept

    @property
    def text(self) -> str:
        return "".join(b.get("text", "") for b in self.blocks if b.get("type") == "text")

    def tool_uses(self) -> list[dict[str, Any]]:
        return [b for b in self.blocks if b.get("type") == "tool_use" and "input" in b]


@dataclass
class RunResult:
    text: str = ""
    charges: list[Charge] = field(default_factory=list)
    interrupted: bool = False

    @property
    def credits(self) -> int:
        return sum(c.credits_charged for c in self.charges)


def system_prompt(root: Path) -> str:
    parts = [
        "You are Caicaini Code, a coding assistant working in the user's project folder "
        f"{root}. Use the tools to look at the code before answering, make changes with "
        "edit_file (read the file first) or write_file, and run commands with bash when that "
        "helps. Stay inside the project folder. Answer in concise markdown.",
        f"Today is {date.today().isoformat()}; the system is {platform.system()}.",
    ]
    for name in INSTRUCTION_FILES:
        path = root / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")[:20_000]
            parts.append(f"Instructions from {name} in the project:\n\n{text}")
    return "\n\n".join(parts)


class Agent:
    def __init__(
        self,
        api: Api,
        io: IO,
        session: Session,
        workspace: toolbox.Workspace,
        permissions: Permissions,
        *,
        model: str,
        budget: Budget | None = None,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        low_balance: int = 0,
    ) -> None:
        self.api, self.io, self.session = api, io, session
        self.workspace, self.permissions = workspace, permissions
        self.model = model
        self.budget = budget or Budget()
        self.max_tokens = max_tokens
        self.low_balance = low_balance
        self.balance: int | None = None
        self.charges: list[Charge] = []  # every model call since this process started
        self.last_turn: int | None = None
        self._warned_low = False
        self.system = system_prompt(workspace.root)

    # -- one prompt ---------------------------------------------------------------------------
    def run(self, prompt: str) -> RunResult:
        self._answer_dangling_tool_calls()
        self.session.add_message("user", prompt)
        result = RunResult()
        while True:
            reply, interrupted = self._call(result, tools=True)
            result.text = reply.text or result.text
            if interrupted:
                result.interrupted = True
                return result
            uses = reply.tool_uses() if reply.stop_reason == "tool_use" else []
            if not uses:
                if reply.stop_reason == "max_tokens":
                    self.io.warn("The reply reached its length limit (max_tokens) and was cut.")
                return result
            results, refused = self._run_tools(uses)
            self.session.add_message("user", results)
            if refused:  # the person said no: wait for what they want instead
                return result

    def _answer_dangling_tool_calls(self) -> None:
        """A session that stopped between a tool call and its result (a crash, a kill) would
        be refused by the API: answer those calls as not run."""
        messages = self.session.state.messages
        last = messages[-1] if messages else None
        if last is None or last.get("role") != "assistant" or isinstance(last["content"], str):
            return
        uses = [b for b in last["content"] if b.get("type") == "tool_use"]
        if uses:
            self.session.add_message("user", [
                {"type": "tool_result", "tool_use_id": u["id"], "is_error": True,
                 "content": "not run: the session was interrupted"}
                for u in uses
            ])  # fmt: skip

    def _call(
        self, result: RunResult, *, tools: bool, extra: list[Any] | None = None
    ) -> tuple[Reply, bool]:
        body: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "system": self.system,
            "messages": self.session.state.messages + (extra or []),
            "tools": [t.spec() for t in toolbox.TOOLS],
            "stream": True,
        }
        if not tools:
            body["tool_choice"] = {"type": "none"}
        raw = json.dumps(body, ensure_ascii=False).encode()
        self._guard(raw)
        stream = self.api.stream_message(raw)
        if stream.max_tokens_lowered:
            self.io.note(
                f"Your balance covers at most {stream.max_tokens_lowered} output tokens for "
                "this reply; it was limited to that."
            )
        reply, interrupted = self._receive(stream)
        charge = reply.charge or self.api.charge_of(stream.request_id)
        self._account(charge, stream.request_id, result)
        content = reply.content(complete=not interrupted and reply.error is None)
        if content and not extra:
            self.session.add_message("assistant", content)
        if reply.error is not None:
            raise StreamFailed(f"The reply broke off: {reply.error}", charge)
        if interrupted:
            self.io.warn("Stopped. You are charged only for what was produced.")
        return reply, interrupted

    def _guard(self, raw: bytes) -> None:
        limit = self.budget.limit
        if limit is None:
            return
        quote = self.api.quote(raw)
        if self.budget.spent + quote.max_credits > limit:
            raise BudgetExceeded(quote.max_credits, self.budget.spent, limit)

    def _receive(self, stream: MessageStream) -> tuple[Reply, bool]:
        reply = Reply()
        out = self.io.markdown_stream()
        interrupted = False
        try:
            for name, data in stream.events():
                reply.feed(name, data, out)
        except KeyboardInterrupt:
            interrupted = True
        except (httpx.HTTPError, ValueError) as exc:
            reply.error = reply.error or f"connection lost ({type(exc).__name__})"
        finally:
            stream.close()
            out.finish()
        if not interrupted and reply.error is None and reply.stop_reason is None:
            reply.error = "the stream ended before the message was complete"
        return reply, interrupted

    def _account(self, charge: Charge | None, request_id: str, result: RunResult) -> None:
        charge = charge or Charge(request_id, 0, None, None)
        if charge.credits_remaining is None:  # looked up by request id: ask for the balance
            with contextlib.suppress(ApiError):
                left = int(self.api.balance()["balance"])
                charge = Charge(charge.request_id, charge.credits_charged, left, charge.receipt_id)
        result.charges.append(charge)
        self.charges.append(charge)
        self.budget.spent += charge.credits_charged
        self.last_turn = result.credits  # the prompt's calls so far
        self.balance = (
            charge.credits_remaining if charge.credits_remaining is not None else self.balance
        )
        self.session.append({
            "type": "turn", "request_id": charge.request_id, "model": self.model,
            "credits_charged": charge.credits_charged, "balance": charge.credits_remaining,
            "receipt_id": charge.receipt_id,
        })  # fmt: skip
        if self.balance is not None and self.balance < self.low_balance and not self._warned_low:
            self._warned_low = True
            self.io.warn(
                f"Your balance is low: {self.balance:,} credits left. Top up at "
                f"{self.api.base_url}/billing"
            )

    # -- tools --------------------------------------------------------------------------------
    def _run_tools(self, uses: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], bool]:
        results, refused = [], False
        for use in uses:
            if refused:
                text, is_error = "not run: the user stopped at an earlier tool call", True
            else:
                text, is_error, refused = self._run_tool(use["name"], use.get("input") or {})
            results.append(
                {"type": "tool_result", "tool_use_id": use["id"], "content": text,
                 "is_error": is_error}
            )  # fmt: skip
        return results, refused

    def _run_tool(self, name: str, args: dict[str, Any]) -> tuple[str, bool, bool]:
        tool = toolbox.BY_NAME.get(name)
        if tool is None:
            return f"there is no tool named {name}", True, False
        ws = self.workspace
        target, path = tool.target(ws, args)
        outside = path is not None and not ws.inside(path)
        self.io.tool_call(name, target)
        if tool.kind == "edit":
            try:
                planned = toolbox.planned_edit(ws, args)
            except (toolbox.ToolFailed, OSError) as exc:
                self.io.tool_result(str(exc), True)
                return str(exc), True, False
            self.io.show_diff(toolbox.diff_of(ws, *planned))
        decision = self.permissions.decide(name, tool.kind, target, outside)
        action = decision.action
        if action == ASK:
            answer = self.io.ask_permission(name, target, decision.reason)
            rule = Permissions.rule_for(name, tool.kind, target, outside)
            if answer == SESSION:
                self.permissions.allow_for_session(rule)
            elif answer == PROJECT:
                saved = self.permissions.allow_for_project(rule)
                self.io.note(f"Saved allow rule {rule} in {saved}")
            if answer == NO:
                self.io.tool_result("denied by you", True)
                return "The user denied this tool call. Ask them what to do instead.", True, True
        elif action == DENY:
            self.io.tool_result(f"denied: {decision.reason}", True)
            return f"Permission denied: {decision.reason}.", True, False
        try:
            outcome = toolbox.run_tool(tool, ws, args)
        except KeyboardInterrupt:
            self.io.tool_result("stopped by you", True)
            return "The user stopped this tool call. Ask them what to do next.", True, True
        shown = outcome.text
        if name == "read_file" and not outcome.is_error:
            shown = f"read {outcome.text.count(chr(10)) + 1} lines"
        self.io.tool_result(shown, outcome.is_error)
        return outcome.text, outcome.is_error, False

    # -- /compact -----------------------------------------------------------------------------
    def compact(self) -> str:
        """Summarise the history with the model; keep the summary and every prompt the person
        typed, verbatim. Returns the summary."""
        state = self.session.state
        instruction = [{"role": "user", "content": COMPACT_INSTRUCTION}]
        reply, interrupted = self._call(RunResult(), tools=False, extra=instruction)
        if interrupted or not reply.text.strip():
            raise StreamFailed("The summary was not finished; nothing was compacted.", None)
        prompts = "\n\n".join(f"{n}. {p}" for n, p in enumerate(state.prompts, 1))
        context = (
            "Earlier conversation, compacted. Summary:\n\n" + reply.text.strip()
            + "\n\nMy own messages so far, verbatim:\n\n" + prompts
        )  # fmt: skip
        messages = [
            {"role": "user", "content": context},
            {"role": "assistant", "content": "Understood: I have the summary and your messages."},
        ]
        self.session.append({"type": "compact", "summary": reply.text, "messages": messages})
        return reply.text
