"""What every console page handler shares: who acts, the submitted form, reasons, amounts and
the typed confirmation of a destructive action.

The role and the CSRF token are checked before a handler runs (``accounts.deps.require_role``),
so a handler only reads the form it was given.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from caicaini.accounts.deps import CurrentAccount
from caicaini.accounts.moderation import require_reason
from caicaini.audit.service import Actor
from caicaini.errors import InvalidInput
from caicaini.http.deps import client_ip
from caicaini.kit.credits import MAX_CREDITS

CONFIRM_FIELD = "confirm_text"
__all__ = ["Preview", "actor", "check_confirmation", "parse_amount", "read_form", "require_reason"]


def actor(me: CurrentAccount, request: Request) -> Actor:
    return Actor("operator", me.id, client_ip(request))


async def read_form(request: Request) -> dict[str, str]:
    return {k: v.strip() for k, v in (await request.form()).items() if isinstance(v, str)}


def parse_amount(raw: str, field: str = "amount") -> int:
    try:
        amount = int(raw.strip().replace(",", ""))
    except ValueError as exc:
        raise InvalidInput("the amount is a whole number of credits", field=field) from exc
    if amount == 0:
        raise InvalidInput("the amount cannot be zero", field=field)
    if abs(amount) > MAX_CREDITS:
        raise InvalidInput(f"the amount is at most {MAX_CREDITS:,} credits", field=field)
    return amount


def check_confirmation(form: dict[str, str], expected: str) -> None:
    """A destructive action goes ahead only when the operator typed ``expected`` exactly."""
    if form.get(CONFIRM_FIELD, "").strip().lower() != expected.strip().lower():
        raise InvalidInput(
            f"type {expected} exactly to confirm; nothing was changed", field=CONFIRM_FIELD
        )


@dataclass(frozen=True)
class Preview:
    """What an action will do, shown before it is done. ``carry`` are the fields the
    confirmation posts back to ``url``; ``confirm_word`` (for a destructive action) is what
    the operator must type."""

    label: str
    subject: str  # what the action is about: an e-mail address, an order id...
    effects: list[str]
    url: str
    cancel: str
    carry: dict[str, str] = field(default_factory=dict)
    confirm_word: str | None = None
