"""What the ledger hands out: immutable snapshots, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Grant:
    id: str
    account_id: str
    kind: str
    amount: int
    remaining: int
    status: str
    issued_at: datetime
    expires_at: datetime | None
    source_ref: str | None
    active: bool


@dataclass(frozen=True)
class Hold:
    id: str
    request_id: str
    account_id: str
    amount: int
    status: str
    expires_at: datetime
    started_at: datetime | None
    charged: int = 0
    allocations: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Settlement:
    charged: int
    debits: list[tuple[str, int]]
    # The account's balance right after the settlement (None when not computed).
    balance: int | None = None


@dataclass(frozen=True)
class Entry:
    id: int
    kind: str
    amount: int
    charged: int
    grant_id: str | None
    request_id: str | None
    reason: str | None
    created_at: datetime
