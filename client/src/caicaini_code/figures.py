"""How credits read on screen (no rich here: the account commands print plain lines)."""

from __future__ import annotations


def credits(value: int | None) -> str:
    if value is None:
        return "?"
    return f"{value:,} credit" + ("" if value == 1 else "s")


def status_line(model: str, turn: int | None, session: int, balance: int | None) -> str:
    turn_text = credits(turn) if turn is not None else "-"
    return (
        f"{model} · this turn {turn_text} · session {credits(session)} · balance {credits(balance)}"
    )
