"""The interactive session: prompt, stream the reply, show what it cost, repeat.

Ctrl-C while a reply streams stops it (you pay for what was produced) and keeps the session;
Ctrl-C at the prompt clears the line; Ctrl-D or ``/exit`` leaves. Errors from the server are
shown and the session goes on.
"""

from __future__ import annotations

from caicaini_code import commands, figures
from caicaini_code.agent import Agent, BudgetExceeded, StreamFailed
from caicaini_code.api import Api, ApiError
from caicaini_code.app import App
from caicaini_code.errors import explain
from caicaini_code.io import IO
from caicaini_code.sessions import Session


class Repl:
    def __init__(self, app: App, api: Api, agent: Agent, io: IO) -> None:
        self.app, self.api, self.agent, self.io = app, api, agent, io
        self.running = True

    @property
    def session(self) -> Session:
        return self.agent.session

    def toolbar(self) -> str:
        return figures.status_line(
            self.agent.model, self.agent.last_turn, self.session.state.credits, self.agent.balance
        )

    def show_status(self) -> None:
        self.io.status(self.toolbar())

    def set_model(self, model: str) -> None:
        self.agent.model = model
        self.session.append({"type": "model", "model": model})
        self.app.prefs.set("model", model)
        self.io.say(f"Model: {model}")

    def switch_session(self, session: Session) -> None:
        self.agent.session = session
        self.agent.last_turn = None
        if session.state.model:
            self.agent.model = session.state.model
        self.io.note(
            f"Session {session.id}: {len(session.state.prompts)} prompts, "
            f"{figures.credits(session.state.credits)} spent so far."
        )

    def run(self) -> int:
        state = self.session.state
        self.io.say(f"Caicaini Code · {self.app.cwd}", style="bold")
        if state.prompts:
            self.io.note(
                f"Resumed session {self.session.id} ({len(state.prompts)} prompts, "
                f"{figures.credits(state.credits)}). Last prompt: {state.prompts[-1][:80]}"
            )
        self.io.note("/help lists the commands · /model switches model · Ctrl-D quits")
        self.show_status()
        while self.running:
            try:
                line = self.io.prompt().strip()
            except KeyboardInterrupt:
                continue
            except EOFError:
                break
            if not line:
                continue
            self._handle(line)
        self.io.note(f"Session saved: caicaini-code --resume {self.session.id}")
        return 0

    def _handle(self, line: str) -> None:
        try:
            if line.startswith("/"):
                commands.dispatch(self, line)
                return
            self.agent.run(line)
            self.show_status()
        except BudgetExceeded as exc:
            self.io.warn(f"{exc} Raise it with /max-credits N.")
        except StreamFailed as exc:
            self.io.error(str(exc))
            self.show_status()
        except ApiError as exc:
            self.io.error(explain(exc, self.api.base_url))
        except KeyboardInterrupt:
            self.io.warn("Stopped.")
