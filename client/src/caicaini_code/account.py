"""Account commands: ``login`` (device code, or ``--key``), ``logout``, ``balance``,
``usage``, ``models``, ``keys list``, ``sessions`` and ``statusline``. Every figure shown is
the server's."""

from __future__ import annotations

import hashlib
import json
import platform
import socket
import sys
import time
import uuid
from datetime import datetime
from typing import Any

from caicaini_code.api import Api, ApiError
from caicaini_code.app import App
from caicaini_code.config import Credentials
from caicaini_code.figures import credits


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def machine_fingerprint() -> str:
    """A hash of a machine identifier, the terminal's counterpart of the browser fingerprint
    that sign-up and login record (never the identifier itself)."""
    try:
        with open("/etc/machine-id") as handle:
            machine = handle.read().strip()
    except OSError:
        machine = f"{uuid.getnode():x}"
    return "cli:" + hashlib.sha256(f"caicaini:{machine}".encode()).hexdigest()[:48]


def login(app: App, key: str | None) -> int:
    creds = app.creds()
    if key:
        return _store_key(app, Api(creds.base_url, key.strip()), creds.base_url, key.strip())
    api = app.api(signed_in=False)
    device = socket.gethostname() or platform.node() or "terminal"
    started = api.device_code(device, machine_fingerprint())
    _out(f"To sign in, open {started['verification_uri']} and enter the code:")
    _out("")
    _out(f"    {started['user_code']}")
    _out("")
    _out(f"Or open {started['verification_uri_complete']}")
    _out("Waiting for approval in the browser… (Ctrl-C to cancel)")
    interval = float(started["interval"])
    deadline = time.monotonic() + float(started["expires_in"])
    while time.monotonic() < deadline:
        time.sleep(interval)
        try:
            issued = api.device_token(started["device_code"])
        except ApiError as exc:
            if exc.code == "authorization_pending":
                continue
            if exc.code == "slow_down":
                interval += 5
                continue
            raise
        saved = Credentials(creds.base_url, issued["api_key"], issued["key_id"], issued["key_name"])
        app.credentials.save(saved)
        _out(f"Signed in to {creds.base_url} with the key “{issued['key_name']}”.")
        _out(f"Credentials saved in {app.credentials.path} (readable only by you).")
        return 0
    _out("The code expired before it was approved. Run `caicaini-code login` again.")
    return 1


def _store_key(app: App, api: Api, base_url: str, key: str) -> int:
    left = api.balance()["balance"]  # proves the key works before it is stored
    app.credentials.save(Credentials(base_url, key))
    _out(f"Signed in to {base_url} with a pasted key (balance {credits(left)}).")
    _out(f"Credentials saved in {app.credentials.path} (readable only by you).")
    return 0


def logout(app: App) -> int:
    creds = app.creds()
    if creds.from_env:
        _out("CAICAINI_API_KEY is set: unset it to sign out (nothing stored was changed).")
        return 1
    if not creds.api_key:
        _out(f"Not signed in to {creds.base_url}.")
        return 0
    try:
        revoked = app.api().revoke_this_key()
        _out(f"Revoked the key “{revoked['name']}” ({revoked['hint']}).")
    except ApiError as exc:
        if exc.status != 401:
            raise
        _out("The key was already revoked or unknown to the server.")
    app.credentials.forget(creds.base_url)
    _out(f"Signed out of {creds.base_url}.")
    return 0


def _json(value: Any) -> int:
    _out(json.dumps(value, indent=2, ensure_ascii=False))
    return 0


def _table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for name in columns:
        table.add_column(name)
    for row in rows:
        table.add_row(*row)
    Console(highlight=False).print(table)


def balance(app: App, as_json: bool) -> int:
    data = app.api().balance()
    if as_json:
        return _json(data)
    _out(f"Balance: {credits(data['balance'])}")
    rows = [
        [g.get("kind", ""), credits(g.get("remaining")), (g.get("expires_at") or "never")[:10]]
        for g in data.get("grants", [])
    ]
    if rows:
        _table("Credits by grant (spent in this order)", ["kind", "left", "expires"], rows)
    return 0


def today_start() -> str:
    local = datetime.now().astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).isoformat()


def usage(app: App, as_json: bool, limit: int) -> int:
    api = app.api()
    summary = api.usage_summary(today_start())
    recent = api.usage(limit)
    if as_json:
        return _json({"today": summary, "recent": recent})
    _out(f"Today: {credits(summary['credits_charged'])} over {summary['messages']} messages")
    rows = [
        [u["created_at"][:19].replace("T", " "), u["model"], u["outcome"],
         credits(u["credits_charged"]), u["request_id"]]
        for u in recent
    ]  # fmt: skip
    if rows:
        _table("Recent messages", ["time (UTC)", "model", "outcome", "charged", "request"], rows)
    return 0


def models(app: App, as_json: bool) -> int:
    data = app.api().models()
    if as_json:
        return _json(data)
    rows = [[m["id"], m.get("display_name", ""), rate_text(m)] for m in data]
    _table("Models on your plan", ["model", "name", "price"], rows)
    return 0


def rate_text(model: dict[str, Any]) -> str:
    return (
        f"{credits(model.get('credits_per_message'))} per unit (a unit: "
        f"{model.get('included_input_tokens', 0):,} in / "
        f"{model.get('included_output_tokens', 0):,} out tokens)"
    )


def keys_list(app: App, as_json: bool) -> int:
    data = app.api().keys()
    if as_json:
        return _json(data)
    current = app.creds().key_id
    rows = [
        [("* " if k["id"] == current else "") + k["name"], k["hint"], k["status"],
         (k.get("last_used_at") or "never")[:16].replace("T", " ")]
        for k in data
    ]  # fmt: skip
    _table("API keys (* this device)", ["name", "key", "status", "last used"], rows)
    return 0


def statusline(app: App) -> int:
    """One line for Claude Code's ``statusLine`` (it pipes session JSON on stdin: unused)."""
    try:
        api = app.api()
        left = api.balance()["balance"]
        today = api.usage_summary(today_start())["credits_charged"]
    except (ApiError, Exception) as exc:
        _out(f"Caicaini: {getattr(exc, 'message', None) or exc}")
        return 1
    _out(f"Caicaini {credits(left)} left · today {credits(today)}")
    return 0


def sessions(app: App) -> int:
    found = app.sessions().list(app.cwd)
    if not found:
        _out(f"No sessions in {app.cwd} yet.")
        return 0
    rows = [
        [s.id, s.state.updated_at[:16].replace("T", " "), (s.state.first_prompt or "")[:50],
         credits(s.state.credits), str(len(s.state.turns))]
        for s in found
    ]  # fmt: skip
    _table(
        f"Sessions in {app.cwd}", ["id", "last used (UTC)", "first prompt", "spent", "calls"], rows
    )
    _out("Resume one with `caicaini-code --resume ID`, the latest with `--continue`.")
    return 0
