"""The interactive session in a real terminal (tmux): a prompt and its streamed reply with
the credit status line, an edit denied at the permission prompt, ``/model`` switching
model, ``/exit``, then ``--continue`` picking the conversation up where it was, and Ctrl-C
stopping a slow reply without leaving the session."""

from __future__ import annotations

import asyncio
import re
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from caicaini.context import AppContext
from caicaini.testing.fake_upstream import Behaviour, FakeScript
from tests.client.conftest import CLIENT, CodeRunner
from tests.client.test_print_mode import EDIT
from tests.gateway.support import balance, customer, issue_key, usage_of

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """One tmux server of its own (its own socket), 110 x 40, running a command."""

    def __init__(self, socket: Path, script: Path) -> None:
        self.base = ["tmux", "-S", str(socket)]
        self.run("new-session", "-d", "-x", "110", "-y", "40", f"bash {shlex.quote(str(script))}")

    def run(self, *args: str) -> str:
        done = subprocess.run([*self.base, *args], capture_output=True, text=True, check=True)
        return done.stdout

    def prompt_ready(self) -> bool:
        """prompt_toolkit is reading: its bottom toolbar is the screen's last line."""
        lines = [line for line in self.screen().splitlines() if line.strip()]
        return bool(lines) and lines[-1].startswith(" ") and " · balance " in lines[-1]

    def type(self, text: str, *, at_prompt: bool = True) -> None:
        deadline = time.monotonic() + 30
        while at_prompt and not self.prompt_ready():
            assert time.monotonic() < deadline, f"no prompt:\n{self.screen()}"
            time.sleep(0.1)
        self.run("send-keys", "-l", text)
        self.run("send-keys", "Enter")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-J", "-S", "-200")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared on the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run([*self.base, "kill-server"], capture_output=True)


def launch(code: CodeRunner, tmp: Path, name: str, *args: str) -> Terminal:
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in code.env(TERM="xterm-256color").items())
    command = " ".join(shlex.quote(a) for a in [*CLIENT, *args])
    script = tmp / f"{name}.sh"
    script.write_text(f"cd {shlex.quote(str(code.project))}\nenv {env} {command}\n"
                      "echo EXITED $?\nsleep 600\n")  # fmt: skip
    return Terminal(tmp / f"{name}.sock", script)


def first_session(code: CodeRunner, fake: FakeScript, tmp: Path) -> None:
    term = launch(code, tmp, "first", "--model", "claude-haiku-4-5")
    try:
        term.wait_for("balance 1,000 credits")
        term.type("hello there")
        term.wait_for("Echo: hello there")
        term.wait_for("this turn 1 credit · session 1 credit · balance 999 credits")

        fake.call_tool("read_file", {"path": "hello.py"})
        fake.call_tool("edit_file", EDIT)
        term.type("change greet")
        term.wait_for("Allow edit_file hello.py")
        term.wait_for("asking because: edits and commands ask first")
        screen = term.wait_for("[n]o:")
        assert '+    return "hello, world"' in screen  # the diff is shown before asking
        term.type("n", at_prompt=False)
        term.wait_for("denied by you")

        term.type("/model")
        screen = term.wait_for("Number (Enter to cancel)")
        number = re.search(r"^\s+(\d+) kimi-k2\.5 ", screen, re.MULTILINE)
        assert number, screen
        term.type(number.group(1), at_prompt=False)
        term.wait_for("Model: kimi-k2.5")
        term.type("/exit")
        term.wait_for("Session saved: caicaini-code --resume")
        term.wait_for("EXITED 0")
    finally:
        term.close()


def second_session(code: CodeRunner, fake: FakeScript, tmp: Path) -> None:
    term = launch(code, tmp, "second", "--continue")
    try:
        term.wait_for("Resumed session")
        term.wait_for("kimi-k2.5 · this turn -")
        term.type("and now?")
        term.wait_for("Echo: and now?")
        sent = fake.last_request
        assert sent.path == "/v1/chat/completions"  # Kimi, through Moonshot's format
        assert "hello there" in str(sent.body["messages"])  # the conversation carried on

        fake.push(Behaviour(output_tokens=400, tokens_per_second=20))
        term.type("a long answer please")
        term.wait_for("lorem ipsum")
        term.keys("C-c")
        term.wait_for("Stopped. You are charged only for what was produced.")
        term.type("still here?")
        term.wait_for("Echo: still here?")
        term.keys("C-d")
        term.wait_for("EXITED 0")
    finally:
        term.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the client is what is tested
async def test_interactive_session_in_a_terminal(
    lctx: AppContext, fake: FakeScript, code: CodeRunner, tmp_path: Path
) -> None:
    account = await customer(lctx)
    code.key = await issue_key(lctx, account)
    await asyncio.to_thread(first_session, code, fake, tmp_path)
    assert (code.project / "hello.py").read_text() == 'def greet():\n    return "hello"\n'
    await asyncio.to_thread(second_session, code, fake, tmp_path)

    records = await usage_of(lctx, account)
    assert 1000 - await balance(lctx, account) == sum(r.credits_charged for r in records)
    assert "client_disconnect" in {r.outcome for r in records}  # the reply stopped with Ctrl-C
    [session_file] = (code.home / "sessions").glob("*/*.jsonl")
    assert str(code.project.resolve()) in session_file.read_text().splitlines()[0]
