"""Slash commands of the interactive session. Each is ``handler(repl, argument)``; ``/help``
lists them from this table."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from caicaini_code.account import rate_text, today_start
from caicaini_code.figures import credits

if TYPE_CHECKING:
    from caicaini_code.interactive import Repl

Handler = Callable[["Repl", str], None]
COMMANDS: dict[str, tuple[str, Handler]] = {}


def command(name: str, summary: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        COMMANDS[name] = (summary, handler)
        return handler

    return register


def dispatch(repl: Repl, line: str) -> None:
    name, _, argument = line[1:].partition(" ")
    found = COMMANDS.get(name.lower())
    if found is None:
        repl.io.warn(f"Unknown command /{name}. /help lists the commands.")
        return
    found[1](repl, argument.strip())


@command("help", "this list")
def _help(repl: Repl, _arg: str) -> None:
    for name, (summary, _handler) in COMMANDS.items():
        repl.io.say(f"  /{name:<12} {summary}")
    repl.io.note(
        "Enter sends · Alt-Enter or Ctrl-J: new line · Ctrl-C stops a reply · Ctrl-D quits"
    )


@command("model", "pick a model of your plan (with its rate), or /model ID")
def _model(repl: Repl, arg: str) -> None:
    models = repl.api.models()
    ids = [m["id"] for m in models]
    if not arg:
        options = [
            f"{m['id']:<18} {rate_text(m)}" + ("  (current)" if m["id"] == repl.agent.model else "")
            for m in models
        ]
        choice = repl.io.choose("Models on your plan:", options)
        if choice is None:
            return
        arg = ids[choice]
    if arg not in ids:
        repl.io.warn(f"{arg} is not on your plan. Models: {', '.join(ids)}")
        return
    repl.set_model(arg)


@command("balance", "your credit balance, by grant")
def _balance(repl: Repl, _arg: str) -> None:
    data = repl.api.balance()
    repl.agent.balance = data["balance"]
    repl.io.say(f"Balance: {credits(data['balance'])}")
    for grant in data.get("grants", []):
        expiry = (grant.get("expires_at") or "never")[:10]
        repl.io.say(
            f"  {grant.get('kind', ''):<14} {credits(grant.get('remaining')):>16}  expires {expiry}"
        )


@command("usage", "today's spend and your latest messages")
def _usage(repl: Repl, _arg: str) -> None:
    summary = repl.api.usage_summary(today_start())
    repl.io.say(f"Today: {credits(summary['credits_charged'])} over {summary['messages']} messages")
    for item in repl.api.usage(10):
        when = item["created_at"][11:19]
        charged = credits(item["credits_charged"])
        repl.io.say(f"  {when}  {item['model']:<18} {charged:>12}  {item['outcome']}")


@command("cost", "what this session has cost, call by call")
def _cost(repl: Repl, _arg: str) -> None:
    state = repl.session.state
    repl.io.say(f"This session: {credits(state.credits)} over {len(state.turns)} model calls")
    for turn in state.turns[-10:]:
        charged = credits(turn.get("credits_charged"))
        repl.io.say(f"  {turn.get('model', ''):<18} {charged:>12}  {turn.get('request_id')}")
    if repl.agent.budget.limit is not None:
        budget = repl.agent.budget
        repl.io.say(f"Limit: {budget.spent} of {budget.limit} credits spent since it was set")


@command(
    "max-credits", "stop before a call could take the session over N credits (/max-credits off)"
)
def _max_credits(repl: Repl, arg: str) -> None:
    budget = repl.agent.budget
    if arg in ("off", "none", "0") or not arg:
        budget.limit = None
        repl.io.say("No credit limit for this session.")
    elif arg.isdigit():
        budget.limit, budget.spent = int(arg), 0
        repl.io.say(f"Limit set: this session stops before spending more than {arg} credits.")
    else:
        repl.io.warn("Use /max-credits N or /max-credits off")


@command("resume", "pick an earlier session of this folder (date, first prompt, credits)")
def _resume(repl: Repl, _arg: str) -> None:
    found = [s for s in repl.app.sessions().list(repl.app.cwd) if s.id != repl.session.id]
    if not found:
        repl.io.note("No other sessions in this folder.")
        return
    options = [
        f"{s.state.updated_at[:16].replace('T', ' ')}  {credits(s.state.credits):>12}  "
        f"{(s.state.first_prompt or '(no prompt)')[:60]}"
        for s in found
    ]
    choice = repl.io.choose("Resume which session?", options)
    if choice is not None:
        repl.switch_session(found[choice])


@command("clear", "start a new conversation (this one stays resumable)")
def _clear(repl: Repl, _arg: str) -> None:
    repl.switch_session(repl.app.sessions().create(repl.app.cwd, repl.agent.model))
    repl.io.note("New conversation.")


@command("compact", "summarise the conversation; your own messages are kept verbatim")
def _compact(repl: Repl, _arg: str) -> None:
    if not repl.session.state.messages:
        repl.io.note("Nothing to compact yet.")
        return
    repl.io.note("Summarising (the summary is shown as it is written)…")
    repl.agent.compact()
    repl.io.say("Compacted: the summary above and your messages, word for word, carry on.")
    repl.show_status()


@command("exit", "leave (the session is saved; --continue resumes it)")
def _exit(repl: Repl, _arg: str) -> None:
    repl.running = False


COMMANDS["quit"] = ("same as /exit", _exit)
