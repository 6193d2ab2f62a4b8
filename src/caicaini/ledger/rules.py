"""Pure ledger rules: which grants are live, the order they are spent in and how a hold is
split (a settlement charges the hold's allocations in the order taken: ``ledger.hot``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Protocol, TypeVar


class GrantLike(Protocol):
    """What the rules read of a grant: an ORM row or the hot path's plain snapshot."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def remaining(self) -> int: ...
    @property
    def issued_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime | None: ...


G = TypeVar("G", bound=GrantLike)

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)

# When credits come back to a grant that is no longer live, they leave again at once.
CLOSING_KIND = {"expired": "expire", "forfeited": "forfeit", "reversed": "reversal"}


def is_live(grant: GrantLike, now: datetime) -> bool:
    return grant.status == "active" and (grant.expires_at is None or grant.expires_at > now)


def consumption_order(grants: Iterable[G]) -> list[G]:
    """Soonest expiry first, then oldest; grants without expiry after those; top-ups last."""
    return sorted(
        grants,
        key=lambda g: (
            g.kind == "topup",
            g.expires_at is None,
            g.expires_at or _FAR_FUTURE,
            g.issued_at,
            g.id,
        ),
    )


def split(grants: Sequence[G], amount: int) -> list[tuple[G, int]] | None:
    """Take ``amount`` from ``grants`` in the given order; None when they cannot cover it."""
    taken: list[tuple[G, int]] = []
    left = amount
    for grant in grants:
        if left == 0:
            break
        part = min(grant.remaining, left)
        if part > 0:
            taken.append((grant, part))
            left -= part
    return taken if left == 0 else None
