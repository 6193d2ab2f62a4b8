"""NOWPayments statuses and the order they may move in.

Our record only moves to a higher rank. ``finished``, ``failed`` and ``expired`` share a rank:
once one of them is recorded the payment is settled and only ``refunded`` can follow.
"""

from __future__ import annotations

RANK = {
    "waiting": 0,
    "confirming": 1,
    "confirmed": 2,
    "sending": 3,
    "partially_paid": 4,
    "finished": 5,
    "failed": 5,
    "expired": 5,
    "refunded": 6,
    # manual transfers
    "claimed": 1,
    "approved": 5,
    "rejected": 5,
}
CONFIRMED = frozenset({"confirmed", "sending", "finished"})
CLOSING = frozenset({"failed", "expired"})
SETTLED = frozenset({"finished", "failed", "expired", "refunded", "approved", "rejected"})
# Statuses the poller stops asking about: settled ones, and partial payments (NOWPayments
# treats them as final; an operator decides, and a later IPN still reopens the question).
NOT_POLLED = SETTLED | {"partially_paid"}


def rank(status: str) -> int:
    return RANK.get(status, -1)


def moves_forward(current: str, new: str) -> bool:
    return rank(new) > rank(current)
