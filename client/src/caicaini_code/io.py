"""The one object that talks to the person: everything the client shows or asks goes through
an ``IO``, so tests replace it (``ScriptedIO`` in the tests) and print mode uses ``QuietIO``.

``TerminalIO`` wraps a prompt_toolkit ``PromptSession`` (multi-line input: Enter sends,
Alt-Enter or Ctrl-J adds a line; history kept in a file; a bottom toolbar with the model and
credits) and rich ``Console``s for output (as aider's ``io.py`` does).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

YES, SESSION, PROJECT, NO = "yes", "session", "project", "no"


class IO:
    """Output and questions. The base class prints to ``console`` and never asks."""

    def __init__(self, console: Console | None = None, err: Console | None = None) -> None:
        self.console = console or Console(highlight=False)
        self.err = err or Console(stderr=True, highlight=False)

    # output
    def say(self, text: str, style: str | None = None) -> None:
        self.console.print(escape(text), style=style)

    def note(self, text: str) -> None:
        self.console.print(escape(text), style="dim")

    def warn(self, text: str) -> None:
        self.err.print(escape(text), style="yellow", soft_wrap=True)

    def error(self, text: str) -> None:
        self.err.print(escape(text), style="bold red", soft_wrap=True)

    def markdown_stream(self) -> Any:
        from caicaini_code.render import MarkdownStream  # rich's markdown and pygments: lazily

        return MarkdownStream(self.console)

    def tool_call(self, name: str, target: str) -> None:
        self.console.print(f"[cyan]●[/] [bold]{escape(name)}[/] {escape(target)}")

    def tool_result(self, text: str, is_error: bool) -> None:
        first = text.splitlines()[0] if text else ""
        lines = text.count("\n") + 1 if text else 0
        more = f" (+{lines - 1} lines)" if lines > 1 else ""
        self.console.print(f"  [{'red' if is_error else 'dim'}]⎿ {escape(first[:150])}{more}[/]")

    def show_diff(self, text: str) -> None:
        from caicaini_code.render import diff

        diff(self.console, text)

    def status(self, text: str) -> None:
        self.console.print(f"[dim]── {escape(text)}[/]")

    # questions
    def ask_permission(self, tool: str, target: str, reason: str) -> str:
        return NO

    def choose(self, title: str, options: list[str]) -> int | None:
        return None

    def prompt(self) -> str:
        raise EOFError


class QuietIO(IO):
    """Print mode: only the answer goes to stdout (by the caller); progress goes to stderr."""

    def __init__(self) -> None:
        err = Console(stderr=True, highlight=False)
        super().__init__(console=err, err=err)

    def markdown_stream(self) -> Any:
        return _Silent()


class _Silent:
    def update(self, piece: str) -> None:
        pass

    def finish(self) -> None:
        pass


class TerminalIO(IO):
    def __init__(self, history: Path, toolbar: Callable[[], str]) -> None:
        super().__init__()
        self.history = history
        self.toolbar = toolbar
        self._session: Any = None

    def _prompt_session(self) -> Any:
        if self._session is None:
            from prompt_toolkit import PromptSession
            from prompt_toolkit.history import FileHistory
            from prompt_toolkit.key_binding import KeyBindings

            bindings = KeyBindings()

            @bindings.add("escape", "enter")
            @bindings.add("c-j")
            def _newline(event: Any) -> None:
                event.current_buffer.insert_text("\n")

            self.history.parent.mkdir(parents=True, exist_ok=True)
            self._session = PromptSession(
                history=FileHistory(str(self.history)),
                key_bindings=bindings,
                bottom_toolbar=lambda: " " + self.toolbar(),
                prompt_continuation="  ",
            )
        return self._session

    def prompt(self) -> str:
        return str(self._prompt_session().prompt("> "))

    def ask_permission(self, tool: str, target: str, reason: str) -> str:
        self.console.print(f"[yellow]?[/] Allow [bold]{escape(tool)}[/] {escape(target)}")
        self.console.print(f"  [dim]asking because: {escape(reason)}[/]")
        answers = {"y": YES, "s": SESSION, "p": PROJECT, "n": NO, "": NO}
        question = "  [y]es · always this [s]ession · always this [p]roject · [n]o: "
        while True:
            try:
                answer = self._ask(question).strip().lower()[:1]
            except (KeyboardInterrupt, EOFError):
                return NO
            if answer in answers:
                return answers[answer]

    def choose(self, title: str, options: list[str]) -> int | None:
        self.console.print(f"[bold]{escape(title)}[/]")
        for number, option in enumerate(options, 1):
            self.console.print(f"  [cyan]{number:>2}[/] {escape(option)}")
        try:
            answer = self._ask("Number (Enter to cancel): ").strip()
        except (KeyboardInterrupt, EOFError):
            return None
        if answer.isdigit() and 1 <= int(answer) <= len(options):
            return int(answer) - 1
        return None

    def _ask(self, question: str) -> str:
        from prompt_toolkit import prompt

        if not sys.stdin.isatty():
            return input(question)
        return str(prompt(question))
