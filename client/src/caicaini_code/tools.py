"""The agent's tools, offered to the model over the Messages API's tool use.

    read_file   list_files   search          "read" tools: allowed inside the project
    edit_file   write_file                   "edit" tools: ask first (a coloured diff shown)
    bash                                     "command": asks first; timeout and output cap

Every path is resolved against the project folder; whether a path outside it may be touched
is the permission layer's call (``Tool.target`` tells it what the call touches). An edit
needs the file to have been read in this session, unchanged since, and an ``old_string``
found exactly once (or ``replace_all``), so the model never edits blind.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import re
import signal
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

IGNORED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", ".tox", ".caicaini"}
)  # fmt: skip
READ_LINES = 2000
LINE_CHARS = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
LIST_LIMIT = 500
SEARCH_LIMIT = 200
OUTPUT_CAP = 30_000
DEFAULT_TIMEOUT = 120
MAX_TIMEOUT = 600


class ToolFailed(Exception):
    """The call cannot be done as asked; the message goes back to the model."""


@dataclass
class ToolResult:
    text: str
    is_error: bool = False


@dataclass
class Workspace:
    """The project folder and what this session has read (path → modification time)."""

    root: Path
    read_at: dict[Path, int] = field(default_factory=dict)

    def resolve(self, raw: Any) -> Path:
        if not isinstance(raw, str) or not raw.strip():
            raise ToolFailed("a path is required")
        path = Path(os.path.expanduser(raw.strip()))
        return (path if path.is_absolute() else self.root / path).resolve()

    def inside(self, path: Path) -> bool:
        return path == self.root or self.root in path.parents

    def show(self, path: Path) -> str:
        return str(path.relative_to(self.root)) if self.inside(path) else str(path)

    def remember(self, path: Path) -> None:
        self.read_at[path] = path.stat().st_mtime_ns

    def check_read(self, path: Path) -> None:
        seen = self.read_at.get(path)
        if seen is None:
            raise ToolFailed(f"read {self.show(path)} with read_file before changing it")
        if path.stat().st_mtime_ns != seen:
            raise ToolFailed(f"{self.show(path)} changed since it was read; read it again")


@dataclass(frozen=True)
class Tool:
    name: str
    kind: str  # "read" | "edit" | "command"
    description: str
    schema: dict[str, Any]
    run: Callable[[Workspace, dict[str, Any]], ToolResult]

    def spec(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description, "input_schema": self.schema}

    def target(self, ws: Workspace, args: dict[str, Any]) -> tuple[str, Path | None]:
        """What the call touches, for permission rules: the command, or the path."""
        if self.kind == "command":
            return str(args.get("command", "")), None
        raw = args.get("path") or "."
        try:
            path = ws.resolve(raw)
        except ToolFailed:
            return str(raw), None
        return ws.show(path), path


def _schema(required: list[str], **props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required}


def _text_of(path: Path) -> str:
    if not path.is_file():
        raise ToolFailed(f"{path} is not a file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ToolFailed(f"{path} is larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        raise ToolFailed(f"{path} looks like a binary file")
    return data.decode("utf-8", errors="replace")


def read_file(ws: Workspace, args: dict[str, Any]) -> ToolResult:
    path = ws.resolve(args.get("path"))
    text = _text_of(path)
    ws.remember(path)
    lines = text.splitlines()
    start = max(1, int(args.get("offset") or 1))
    count = max(1, min(int(args.get("limit") or READ_LINES), READ_LINES))
    shown = lines[start - 1 : start - 1 + count]
    out = [f"{n:>6}\t{line[:LINE_CHARS]}" for n, line in enumerate(shown, start)]
    if not lines:
        return ToolResult(f"({ws.show(path)} is empty)")
    rest = len(lines) - (start - 1 + len(shown))
    if rest > 0:
        out.append(f"… {rest} more lines: read on with offset={start + len(shown)}")
    return ToolResult("\n".join(out))


def _walk(base: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d not in IGNORED_DIRS)
        found.extend(Path(folder) / name for name in sorted(files))
    return found


def list_files(ws: Workspace, args: dict[str, Any]) -> ToolResult:
    base = ws.resolve(args.get("path") or ".")
    if not base.is_dir():
        raise ToolFailed(f"{ws.show(base)} is not a folder")
    pattern = str(args.get("pattern") or "**/*")
    matches = [
        p for p in _walk(base) if fnmatch.fnmatch(p.relative_to(base).as_posix(), pattern)
        or fnmatch.fnmatch(p.name, pattern)
    ]  # fmt: skip
    lines = [ws.show(p) for p in matches[:LIST_LIMIT]]
    if len(matches) > LIST_LIMIT:
        lines.append(f"… {len(matches) - LIST_LIMIT} more; narrow the pattern")
    return ToolResult("\n".join(lines) or f"no files match {pattern!r}")


def search(ws: Workspace, args: dict[str, Any]) -> ToolResult:
    flags = re.IGNORECASE if args.get("ignore_case") else 0
    try:
        regex = re.compile(str(args.get("pattern", "")), flags)
    except re.error as exc:
        raise ToolFailed(f"bad regular expression: {exc}") from None
    base = ws.resolve(args.get("path") or ".")
    only = args.get("glob")
    files = _walk(base) if base.is_dir() else [base]
    hits: list[str] = []
    for path in files:
        if only and not fnmatch.fnmatch(path.name, str(only)):
            continue
        try:
            text = _text_of(path)
        except (ToolFailed, OSError):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if regex.search(line):
                hits.append(f"{ws.show(path)}:{number}: {line.strip()[:300]}")
                if len(hits) >= SEARCH_LIMIT:
                    hits.append(f"… stopped at {SEARCH_LIMIT} matches; narrow the search")
                    return ToolResult("\n".join(hits))
    return ToolResult("\n".join(hits) or "no matches")


def planned_edit(ws: Workspace, args: dict[str, Any]) -> tuple[Path, str, str]:
    """(path, old text, new text) of an edit or write, checked but not applied."""
    path = ws.resolve(args.get("path"))
    if "content" in args:  # write_file
        content = args.get("content")
        if not isinstance(content, str):
            raise ToolFailed("content must be a string")
        old = ""
        if path.exists():
            ws.check_read(path)
            old = _text_of(path)
        return path, old, content
    old_string, new_string = args.get("old_string"), args.get("new_string")
    if not isinstance(old_string, str) or not isinstance(new_string, str) or not old_string:
        raise ToolFailed("old_string (not empty) and new_string are required")
    if old_string == new_string:
        raise ToolFailed("old_string and new_string are the same")
    if not path.exists():
        raise ToolFailed(f"{ws.show(path)} does not exist (write_file creates files)")
    ws.check_read(path)
    text = _text_of(path)
    count = text.count(old_string)
    if count == 0:
        raise ToolFailed(f"old_string was not found in {ws.show(path)}")
    if count > 1 and not args.get("replace_all"):
        raise ToolFailed(
            f"old_string appears {count} times in {ws.show(path)}: give more context to make "
            "it unique, or set replace_all"
        )
    return path, text, text.replace(old_string, new_string)


def diff_of(ws: Workspace, path: Path, old: str, new: str) -> str:
    name = ws.show(path)
    lines = difflib.unified_diff(
        old.splitlines(keepends=True), new.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def apply_edit(ws: Workspace, args: dict[str, Any]) -> ToolResult:
    path, old, new = planned_edit(ws, args)
    created = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(new, encoding="utf-8")
    ws.remember(path)
    if "content" in args:
        verb = "Created" if created else "Wrote"
        return ToolResult(f"{verb} {ws.show(path)} ({len(new.splitlines())} lines)")
    replaced = old.count(str(args["old_string"])) if args.get("replace_all") else 1
    return ToolResult(f"Edited {ws.show(path)}: {replaced} replacement(s)")


def capped(text: str, cap: int = OUTPUT_CAP) -> str:
    if len(text) <= cap:
        return text
    half = cap // 2
    return f"{text[:half]}\n… {len(text) - cap} characters omitted …\n{text[-half:]}"


def bash(ws: Workspace, args: dict[str, Any]) -> ToolResult:
    command = args.get("command")
    if not isinstance(command, str) or not command.strip():
        raise ToolFailed("a command is required")
    timeout = max(1, min(int(args.get("timeout") or DEFAULT_TIMEOUT), MAX_TIMEOUT))
    process = subprocess.Popen(  # noqa: S603  (the user approved this command)
        ["/bin/bash", "-c", command],
        cwd=ws.root,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: a timeout kills all of it
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        note = f"exit code {process.returncode}"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        note = f"timed out after {timeout} s and was killed"
    except KeyboardInterrupt:  # the person stopped it: kill it all, then stop the turn
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    text = capped(output.decode("utf-8", errors="replace"))
    return ToolResult(f"{note}\n{text}".rstrip(), is_error=process.returncode != 0)


PATH = {"type": "string", "description": "path, relative to the project folder"}
TOOLS = [
    Tool("read_file", "read", "Read a text file; lines come numbered. Read before editing.",
         _schema(["path"], path=PATH,
                 offset={"type": "integer", "description": "first line (1-based)"},
                 limit={"type": "integer", "description": f"lines to read (max {READ_LINES})"}),
         read_file),
    Tool("list_files", "read", "List files under a folder matching a glob (e.g. '**/*.py').",
         _schema([], pattern={"type": "string"}, path=PATH), list_files),
    Tool("search", "read", "Search file contents with a regular expression (file:line: text).",
         _schema(["pattern"], pattern={"type": "string"}, path=PATH,
                 glob={"type": "string", "description": "only file names matching this"},
                 ignore_case={"type": "boolean"}),
         search),
    Tool("edit_file", "edit",
         "Replace old_string with new_string in a file read before. old_string must be unique "
         "in the file unless replace_all is true.",
         _schema(["path", "old_string", "new_string"], path=PATH, old_string={"type": "string"},
                 new_string={"type": "string"}, replace_all={"type": "boolean"}),
         apply_edit),
    Tool("write_file", "edit", "Create a file, or replace a file read before, with content.",
         _schema(["path", "content"], path=PATH, content={"type": "string"}), apply_edit),
    Tool("bash", "command",
         f"Run a shell command in the project folder (timeout {DEFAULT_TIMEOUT} s by default, "
         f"at most {MAX_TIMEOUT}; output capped at {OUTPUT_CAP} characters).",
         _schema(["command"], command={"type": "string"},
                 timeout={"type": "integer", "description": "seconds"}),
         bash),
]  # fmt: skip
BY_NAME = {tool.name: tool for tool in TOOLS}


def run_tool(tool: Tool, ws: Workspace, args: dict[str, Any]) -> ToolResult:
    try:
        return tool.run(ws, args)
    except ToolFailed as exc:
        return ToolResult(str(exc), is_error=True)
    except (OSError, ValueError, TypeError) as exc:
        return ToolResult(f"{type(exc).__name__}: {exc}", is_error=True)
