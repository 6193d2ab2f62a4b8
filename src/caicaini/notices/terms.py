"""Versioned Terms of Service (Terms §12).

Each version records its "last updated" date, when it takes effect, whether it is material,
and the SHA-256 of its text. A material change must be announced at least seven days before
it takes effect; every active account is e-mailed and gets a dashboard notice when it is
published. Each account's acceptance of a version is recorded once.

Every version keeps its text, so the published history can be read back (a version recorded
before texts were kept is the shipped file, whose hash it carries). ``review`` shows an
operator's proposed text against the text in effect, line by line, before it is published.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import InvalidInput, NotFound
from caicaini.kit.clock import Clock
from caicaini.models.notices import TermsAcceptance, TermsVersion
from caicaini.notices.repository import NoticeRepository
from caicaini.notices.service import NoticeService
from caicaini.plans.errors import InsufficientNotice

NOTICE_PERIOD = timedelta(days=7)
MAX_TEXT = 200_000


@dataclass(frozen=True)
class TermsReview:
    """A proposed text against the version in effect."""

    current_version: int | None
    diff: list[tuple[str, str]]  # (" " | "+" | "-" | "@", line)
    material: bool
    earliest_at: datetime  # the earliest effective time the rules allow

    @property
    def changed(self) -> bool:
        return any(kind in "+-" for kind, _ in self.diff)


def check_text(text: str, summary: str) -> tuple[str, str]:
    text = text.replace("\r\n", "\n").strip() + "\n"
    if len(text.strip()) == 0:
        raise InvalidInput("the Terms cannot be empty", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"the Terms are at most {MAX_TEXT:,} characters", field="text")
    summary = " ".join(summary.split())
    if not summary:
        raise InvalidInput("summarise the change: customers are told it", field="summary")
    return text, summary[:500]


@dataclass(frozen=True)
class TermsView:
    version: int
    last_updated: date
    effective_at: datetime
    material: bool
    summary: str
    text_sha256: str


def terms_view(row: TermsVersion) -> TermsView:
    return TermsView(
        row.version, row.last_updated, row.effective_at, row.material, row.summary, row.text_sha256
    )


class TermsService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.repo = NoticeRepository(session)
        self.notices = NoticeService(session, clock, public_url)

    async def publish(
        self,
        text: str,
        *,
        effective_at: datetime | None,
        material: bool,
        summary: str,
        actor: Actor,
        last_updated: date | None = None,
    ) -> TermsView:
        now = self.clock.now()
        if actor.kind != "system":
            text, summary = check_text(text, summary)
        effective_at = effective_at or now  # None: at once
        if effective_at < now:
            raise InvalidInput("new Terms cannot take effect in the past", field="effective_at")
        latest = await self.repo.latest_terms()
        if material and latest is not None and effective_at < now + NOTICE_PERIOD:
            raise InsufficientNotice(
                "material changes to the Terms need 7 days' notice; the earliest effective time "
                f"is {(now + NOTICE_PERIOD).isoformat()}",
                field="effective_at",
            )
        if latest is not None and effective_at < latest.effective_at:
            raise InvalidInput("a newer version cannot take effect before the latest one")
        row = TermsVersion(
            version=(latest.version if latest else 0) + 1,
            last_updated=last_updated or now.date(),
            effective_at=effective_at,
            material=material,
            summary=summary,
            text_sha256=hashlib.sha256(text.encode()).hexdigest(),
            text=text,
            published_at=now,
        )
        self.repo.add(row)
        await self.repo.flush()
        if material and latest is not None:
            await self._notify(row)
        await AuditService(self.session, self.clock).record(
            "terms.published",
            actor=actor,
            target_type="terms",
            target_id=str(row.version),
            details={"material": material, "effective_at": effective_at.isoformat()},
        )
        return terms_view(row)

    async def _notify(self, row: TermsVersion) -> None:
        when = row.effective_at.strftime("%d %B %Y")
        for account_id, email in await self.repo.active_accounts():
            await self.notices.notify(
                account_id,
                kind="terms_change",
                ref=f"terms:{row.version}",
                subject=f"Our Terms of Service change on {when}",
                body=f"We have updated our Terms of Service, effective {when}: {row.summary} "
                "Using the Service after that date means you accept the new Terms.",
                email=email,
                effective_at=row.effective_at,
            )

    async def history(self) -> list[TermsVersion]:
        return await self.repo.terms_history()

    async def version(self, version: int) -> TermsVersion:
        row = await self.repo.terms_version(version)
        if row is None:
            raise NotFound(f"no Terms version {version}")
        return row

    async def text_in_effect(self) -> tuple[TermsVersion | None, str]:
        """The version in effect and its text (the shipped file when none is recorded)."""
        row = await self.repo.terms_in_effect(self.clock.now())
        return row, text_of(row)

    async def review(self, text: str, *, material: bool) -> TermsReview:
        proposed, _ = check_text(text, "review")
        current, current_text = await self.text_in_effect()
        lines = difflib.unified_diff(
            current_text.splitlines(), proposed.splitlines(), lineterm="", n=2
        )
        diff = [(line[0], line[1:]) for line in list(lines)[2:]]
        now = self.clock.now()
        latest = await self.repo.latest_terms()
        earliest = now + NOTICE_PERIOD if material and latest is not None else now
        if latest is not None and latest.effective_at > earliest:
            earliest = latest.effective_at
        return TermsReview(current.version if current else None, diff, material, earliest)

    async def current(self) -> TermsView | None:
        row = await self.repo.terms_in_effect(self.clock.now())
        return terms_view(row) if row else None

    async def accept(self, account_id: str, version: int | None = None) -> TermsAcceptance:
        """Record that the account accepted ``version`` (default: the one in effect)."""
        if version is None:
            row = await self.repo.terms_in_effect(self.clock.now())
            if row is None:
                raise NotFound("no Terms of Service are published")
            version = row.version
        elif await self.session.get(TermsVersion, version) is None:
            raise NotFound(f"no Terms version {version}")
        existing = await self.repo.acceptance(account_id, version)
        if existing is not None:
            return existing
        acceptance = TermsAcceptance(
            account_id=account_id, version=version, accepted_at=self.clock.now()
        )
        self.repo.add(acceptance)
        await self.repo.flush()
        return acceptance

    async def awaiting_acceptance(self, account_id: str) -> list[TermsView]:
        """The version in effect and any announced one, where this account has not accepted
        them yet (what the dashboard asks the customer to accept)."""
        current = await self.repo.terms_in_effect(self.clock.now())
        if current is None:
            return []
        rows = await self.repo.unaccepted_terms(account_id, current.version)
        return [terms_view(r) for r in rows]

    async def has_accepted(self, account_id: str, version: int) -> bool:
        return await self.repo.acceptance(account_id, version) is not None


def text_of(row: TermsVersion | None) -> str:
    """A version's text; for one recorded before texts were kept, the shipped file."""
    if row is not None and row.text is not None:
        return row.text
    from caicaini.notices.hooks import shipped_terms_text

    return shipped_terms_text()
