"""Starting a run: choose the session (new, ``--continue``, ``--resume``) and the model,
build the agent, then run print mode or the interactive session."""

from __future__ import annotations

import sys
from typing import Any

from caicaini_code import printmode
from caicaini_code.agent import Agent, Budget
from caicaini_code.app import App
from caicaini_code.io import IO, QuietIO
from caicaini_code.permissions import Permissions
from caicaini_code.tools import Workspace


class UsageError(Exception):
    pass


def _prompt(options: dict[str, Any]) -> str | None:
    """Print mode's prompt: ``-p`` and whatever is piped on stdin, or None (interactive)."""
    prompt = options.get("prompt")
    piped = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    if prompt is None and not piped:
        return None
    parts = [p for p in (prompt if prompt != "-" else "", piped.strip()) if p]
    return "\n\n".join(parts)


def start(app: App, options: dict[str, Any]) -> int:
    import click

    prompt = _prompt(options)
    if prompt == "":
        raise click.UsageError("the prompt is empty: give -p PROMPT or pipe text on stdin")
    if options.get("continue_") and options.get("resume"):
        raise click.UsageError("use either --continue or --resume, not both")
    interactive = prompt is None
    io: IO = QuietIO() if not interactive else IO()
    api = app.api(on_retry=lambda why, wait: io.warn(f"{why}; retrying in {wait:.0f} s"))
    store = app.sessions()
    session = None
    if options.get("resume"):
        session = store.find(options["resume"])
        if session is None:
            raise click.UsageError(f"no session {options['resume']} (see `caicaini-code sessions`)")
    elif options.get("continue_"):
        session = store.latest(app.cwd)
        if session is None and not interactive:
            raise click.UsageError(f"no earlier session in {app.cwd} to continue")
    prefs = app.prefs
    model = options.get("model") or (session.state.model if session else None)
    model = model or prefs.get("model") or _default_model(api)
    session = session or store.create(app.cwd, model)
    if session.state.model != model:
        session.append({"type": "model", "model": model})
    permissions = Permissions.load(
        app.cwd, prefs.values, allow=options.get("allow", ()), deny=options.get("deny", ()),
        trust_run=bool(options.get("yes")), can_ask=interactive,
    )  # fmt: skip
    limit = options.get("max_credits")
    if limit is None and interactive:
        limit = prefs.get("max_credits")
    agent = Agent(
        api, io, session, Workspace(app.cwd.resolve()), permissions, model=model,
        budget=Budget(limit), max_tokens=int(prefs.get("max_tokens") or 8192),
        low_balance=prefs.low_balance_warning,
    )  # fmt: skip
    if not interactive:
        return printmode.run(agent, prompt or "", options.get("output_format") or "text")
    return _interactive(app, api, agent)


def _interactive(app: App, api: Any, agent: Agent) -> int:
    from caicaini_code import config
    from caicaini_code.interactive import Repl
    from caicaini_code.io import TerminalIO

    repl: Repl
    io = TerminalIO(config.config_dir() / "history", lambda: repl.toolbar())
    agent.io = io
    repl = Repl(app, api, agent, io)
    try:
        agent.balance = int(api.balance()["balance"])
    except Exception:
        agent.balance = None
    return repl.run()


def _default_model(api: Any) -> str:
    models = api.models()
    if not models:
        raise UsageError("your plan lists no models")
    return str(models[0]["id"])
