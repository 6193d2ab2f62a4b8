"""The command line (click). Only click is imported up front: each command imports what it
needs, so ``caicaini-code --help`` starts quickly.

    caicaini-code [-p PROMPT] [--model M] [--yes] [--max-credits N] [--output-format text|json]
                  [--continue | --resume ID] [--allow RULE] [--deny RULE] [--base-url URL]
    caicaini-code login [--key K] | logout | sessions | balance | usage | models | keys list
                  | statusline
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from caicaini_code import __version__

BASE_URL_HELP = "Caicaini server (default: CAICAINI_BASE_URL, else the last one signed in to)."


def _app(ctx: click.Context, base_url: str | None = None) -> Any:
    from caicaini_code.app import App

    root = ctx.find_root().params
    return App(base_url=base_url or root.get("base_url"), cwd=Path.cwd())


def _guarded(work: Callable[[], int]) -> None:
    """Run a command; server errors become one clear line and a non-zero exit."""
    from caicaini_code.api import ApiError
    from caicaini_code.errors import EXIT_ERROR, NotSignedIn, explain

    try:
        code = work()
    except NotSignedIn as exc:
        click.echo(f"caicaini-code: {exc}", err=True)
        code = EXIT_ERROR
    except ApiError as exc:
        from caicaini_code.config import CredentialStore

        base = CredentialStore().resolve().base_url
        click.echo(f"caicaini-code: {explain(exc, base)}", err=True)
        code = EXIT_ERROR
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-p",
    "--print",
    "prompt",
    metavar="PROMPT",
    help="Print mode: answer PROMPT (and what stdin holds) and exit.",
)
@click.option("-m", "--model", help="Model id (see `caicaini-code models`).")
@click.option("-y", "--yes", is_flag=True, help="Trust this run: allow edits and commands.")
@click.option(
    "--max-credits",
    type=click.IntRange(min=0),
    metavar="N",
    help="Stop before a model call that could take the run over N credits.",
)
@click.option(
    "--output-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Print mode's output.",
)
@click.option(
    "-c", "--continue", "continue_", is_flag=True, help="Continue the last session in this folder."
)
@click.option("-r", "--resume", metavar="ID", help="Resume the session ID (see `sessions`).")
@click.option("--allow", multiple=True, metavar="RULE", help="Allow rule, e.g. 'bash(pytest:*)'.")
@click.option("--deny", multiple=True, metavar="RULE", help="Deny rule, e.g. 'bash(rm:*)'.")
@click.option("--base-url", metavar="URL", help=BASE_URL_HELP)
@click.version_option(__version__, prog_name="caicaini-code")
@click.pass_context
def main_group(ctx: click.Context, /, **options: Any) -> None:
    """Caicaini Code: a coding assistant in your terminal that shows what every turn costs.

    Run it in a project folder for an interactive session, or with -p for one answer.
    """
    if ctx.invoked_subcommand is not None:
        return
    from caicaini_code.session_start import start

    _guarded(lambda: start(_app(ctx), options))


def _base_url_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--base-url", metavar="URL", help=BASE_URL_HELP)(command)


def _json_option(command: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


@main_group.command()
@click.option("--key", metavar="KEY", help="Paste an API key instead of the browser sign-in.")
@_base_url_option
@click.pass_context
def login(ctx: click.Context, key: str | None, base_url: str | None) -> None:
    """Sign in: approve a code in the browser (or paste a key)."""
    from caicaini_code import account

    _guarded(lambda: account.login(_app(ctx, base_url), key))


@main_group.command()
@_base_url_option
@click.pass_context
def logout(ctx: click.Context, base_url: str | None) -> None:
    """Revoke this device's key and forget it."""
    from caicaini_code import account

    _guarded(lambda: account.logout(_app(ctx, base_url)))


@main_group.command()
@_json_option
@_base_url_option
@click.pass_context
def balance(ctx: click.Context, as_json: bool, base_url: str | None) -> None:
    """Your credit balance, by grant with expiry dates."""
    from caicaini_code import account

    _guarded(lambda: account.balance(_app(ctx, base_url), as_json))


@main_group.command()
@click.option("--limit", default=20, show_default=True, help="Recent messages to list.")
@_json_option
@_base_url_option
@click.pass_context
def usage(ctx: click.Context, limit: int, as_json: bool, base_url: str | None) -> None:
    """Today's spend and your latest messages with their charges."""
    from caicaini_code import account

    _guarded(lambda: account.usage(_app(ctx, base_url), as_json, limit))


@main_group.command()
@_json_option
@_base_url_option
@click.pass_context
def models(ctx: click.Context, as_json: bool, base_url: str | None) -> None:
    """The models of your plan, with their rates."""
    from caicaini_code import account

    _guarded(lambda: account.models(_app(ctx, base_url), as_json))


@main_group.group()
def keys() -> None:
    """Your API keys."""


@keys.command("list")
@_json_option
@_base_url_option
@click.pass_context
def keys_list(ctx: click.Context, as_json: bool, base_url: str | None) -> None:
    """List your API keys (this device's is marked)."""
    from caicaini_code import account

    _guarded(lambda: account.keys_list(_app(ctx, base_url), as_json))


@main_group.command()
@click.pass_context
def sessions(ctx: click.Context) -> None:
    """This folder's sessions, with what each has cost."""
    from caicaini_code import account

    _guarded(lambda: account.sessions(_app(ctx)))


@main_group.command()
@_base_url_option
@click.pass_context
def statusline(ctx: click.Context, base_url: str | None) -> None:
    """One line (balance, today's spend) for Claude Code's statusLine setting."""
    from caicaini_code import account

    _guarded(lambda: account.statusline(_app(ctx, base_url)))


def main() -> None:
    main_group(prog_name="caicaini-code")
