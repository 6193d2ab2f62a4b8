"""The account's data export: one JSON document assembled from sections that each domain
contributes (profile, grants, ledger, usage, receipts, payments, key metadata, conversations,
Terms acceptances...).

A domain registers its section at import time of its hooks module::

    from caicaini.accounts import export
    export.register_section("conversations", collect_conversations)

where ``async def collect(session, account_id) -> JSON-serialisable value``. Sections never
contain a secret (no key, password hash or token). ``collect_export`` runs every section in
the caller's (read) transaction, in registration order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

Section = Callable[[AsyncSession, str], Awaitable[Any]]

SECTIONS: dict[str, Section] = {}


def register_section(name: str, collect: Section) -> None:
    SECTIONS[name] = collect


async def collect_export(session: AsyncSession, account_id: str) -> dict[str, Any]:
    return {name: await collect(session, account_id) for name, collect in SECTIONS.items()}
