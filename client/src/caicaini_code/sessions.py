"""Sessions, saved locally as append-only JSONL: one file per session, one record per line.

    {"type": "session", "id", "cwd", "model", "created_at"}       first line
    {"type": "message", "message": {"role", "content"}}           the conversation
    {"type": "turn", "request_id", "model", "credits_charged", "balance", "receipt_id", "at"}
    {"type": "model", "model"}                                    /model
    {"type": "compact", "summary", "messages": [...]}             /compact: the new history
                                                                  (the summary and the
                                                                  person's prompts verbatim)

Nothing is ever rewritten: the state is the replay of the lines (a torn last line, from a
crash mid-write, is skipped). Files live under ``sessions/<folder key>/`` so "the last
session in this folder" (``--continue``) and the listing need to read only that folder's.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def folder_key(cwd: Path) -> str:
    digest = hashlib.sha256(str(cwd.resolve()).encode()).hexdigest()[:12]
    return f"{cwd.resolve().name or 'root'}-{digest}"


@dataclass
class SessionState:
    id: str
    cwd: str
    model: str | None
    created_at: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    turns: list[dict[str, Any]] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)  # what the person typed, verbatim
    updated_at: str = ""

    @property
    def first_prompt(self) -> str:
        return self.prompts[0] if self.prompts else ""

    @property
    def credits(self) -> int:
        return sum(int(t.get("credits_charged") or 0) for t in self.turns)

    def apply(self, record: dict[str, Any]) -> None:
        kind = record.get("type")
        if kind == "message":
            message = record["message"]
            self.messages.append(message)
            typed = prompt_text(message) if message.get("role") == "user" else ""
            if typed:
                self.prompts.append(typed)
        elif kind == "turn":
            self.turns.append(record)
        elif kind == "model":
            self.model = record.get("model")
        elif kind == "compact":
            self.messages = list(record.get("messages") or [])
        self.updated_at = str(record.get("at") or self.updated_at)


def prompt_text(message: dict[str, Any]) -> str:
    """What the person typed (not tool results)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(b.get("text", "") for b in content if b.get("type") == "text")
    return ""


class Session:
    def __init__(self, path: Path, state: SessionState) -> None:
        self.path = path
        self.state = state

    @property
    def id(self) -> str:
        return self.state.id

    def append(self, record: dict[str, Any]) -> None:
        record = {**record, "at": now_iso()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.state.apply(record)

    def add_message(self, role: str, content: Any) -> None:
        self.append({"type": "message", "message": {"role": role, "content": content}})


def load(path: Path) -> Session | None:
    state: SessionState | None = None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a torn line
        if state is None:
            if record.get("type") != "session":
                return None
            state = SessionState(
                record["id"], record.get("cwd", ""), record.get("model"), record["created_at"]
            )
            state.updated_at = state.created_at
        else:
            state.apply(record)
    return Session(path, state) if state else None


class SessionStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, cwd: Path) -> Path:
        return self.root / folder_key(cwd)

    def create(self, cwd: Path, model: str | None) -> Session:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        session_id = f"{stamp}-{secrets.token_hex(3)}"
        path = self.folder(cwd) / f"{session_id}.jsonl"
        state = SessionState(session_id, str(cwd.resolve()), model, now_iso())
        session = Session(path, state)
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {"type": "session", "id": session_id, "cwd": state.cwd, "model": model,
                  "created_at": state.created_at, "version": 1}  # fmt: skip
        with path.open("x", encoding="utf-8") as handle:
            handle.write(json.dumps(header) + "\n")
        return session

    def list(self, cwd: Path) -> list[Session]:
        """This folder's sessions, most recently used first."""
        found = [load(p) for p in self.folder(cwd).glob("*.jsonl")]
        sessions = [s for s in found if s is not None]
        return sorted(sessions, key=lambda s: (s.state.updated_at, s.id), reverse=True)

    def latest(self, cwd: Path) -> Session | None:
        sessions = self.list(cwd)
        return sessions[0] if sessions else None

    def find(self, session_id: str) -> Session | None:
        for path in self.root.glob(f"*/{session_id}.jsonl"):
            return load(path)
        return None
