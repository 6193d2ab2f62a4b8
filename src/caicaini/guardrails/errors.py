"""Errors of the guardrails (rendered by each edge from the shared table)."""

from __future__ import annotations

from datetime import datetime

from caicaini.errors import InsufficientCredits
from caicaini.guardrails.caps import KEY, Room, in_words

WHERE_TO_CHANGE = {
    "account": "in Settings (/settings#spend-caps)",
    "key": "on the Keys page (/keys)",
}


class SpendCapReached(InsufficientCredits):
    """A daily or monthly spend cap, the account's or the key's, is spent: no credit is spent
    past a cap the customer set. Says which cap, and when it resets."""

    code = "spend_cap_reached"

    def __init__(self, room: Room, now: datetime) -> None:
        cap = room.cap
        whose = "This API key's" if cap.scope == KEY else "Your account's"
        period = "today" if cap.period == "daily" else "this month"
        resets = room.resets_at
        super().__init__(
            f"{whose} {cap.period} spend cap of {cap.limit:,} credits is reached "
            f"({room.spent:,} spent or held {period}). It resets at "
            f"{resets:%H:%M} UTC on {resets:%d %b %Y} (in {in_words(resets - now)}); "
            f"you can change it {WHERE_TO_CHANGE[cap.scope]}.",
            details={
                "cap": {"scope": cap.scope, "period": cap.period, "credits": cap.limit},
                "spent": room.spent,
                "resets_at": resets.isoformat(),
            },
        )
        self.room = room
        self.headers = {
            "caicaini-spend-cap": f"{cap.scope}-{cap.period}",
            "caicaini-spend-cap-resets-at": resets.isoformat(),
        }
