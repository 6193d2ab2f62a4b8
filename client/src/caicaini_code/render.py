"""Rendering: replies streamed as markdown (with highlighted code), diffs, status lines.

``MarkdownStream`` follows aider's ``mdstream``: the whole reply is re-rendered as markdown
as it grows, but only its last few lines stay in a rich ``Live`` window; lines above it can
no longer change, so they are printed once, for good, and scroll back like any output.
Re-rendering is throttled, so a fast stream costs a few renders a second, not one per token.
"""

from __future__ import annotations

import io
import time
from typing import Any, cast

from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.syntax import Syntax
from rich.text import Text

from caicaini_code.figures import credits, status_line

__all__ = ["MarkdownStream", "credits", "diff", "status_line"]

LIVE_LINES = 6
MIN_INTERVAL = 0.08


class MarkdownStream:
    def __init__(self, console: Console) -> None:
        self.console = console
        self.text = ""
        self.printed = 0  # lines already printed above the live window
        self.live: Live | None = None
        self.last = 0.0

    def _lines(self) -> list[str]:
        buffer = io.StringIO()
        width = max(20, self.console.width - 2)
        capture = Console(
            file=buffer, width=width, force_terminal=self.console.is_terminal,
            color_system=cast(Any, self.console.color_system), highlight=False,
        )  # fmt: skip
        capture.print(Markdown(self.text, code_theme="monokai"))
        return buffer.getvalue().splitlines()

    def update(self, piece: str) -> None:
        self.text += piece
        if self.live is None:
            self.live = Live(Text(""), console=self.console, auto_refresh=False, transient=True)
            self.live.start()
        now = time.monotonic()
        if now - self.last >= MIN_INTERVAL:
            self.last = now
            self._render(final=False)

    def _render(self, final: bool) -> None:
        assert self.live is not None
        lines = self._lines()
        stable = len(lines) if final else max(0, len(lines) - LIVE_LINES)
        if stable > self.printed:
            # The live window is cleared, then the settled lines printed above it for good.
            self.live.update(Text(""), refresh=True)
            self.live.console.print(Text.from_ansi("\n".join(lines[self.printed : stable])))
            self.printed = stable
        self.live.update(Text.from_ansi("\n".join(lines[self.printed :])), refresh=True)

    def finish(self) -> None:
        if self.live is None:
            return
        self._render(final=True)
        self.live.stop()
        self.live = None


def diff(console: Console, text: str) -> None:
    if text.strip():
        console.print(
            Syntax(text.rstrip("\n"), "diff", theme="ansi_dark", background_color="default")
        )
