"""Price-sheet drafts: the console's editor for the next price sheet.

A draft is TOML in ``catalogue.toml``'s format, started from the sheet in effect. Saving checks
that it parses into a complete, consistent sheet (``changes.validate``); an invalid text is
refused with the reason and never stored. ``review`` compares the draft with the sheet in
effect, change by change, and says whether it *reduces* anything for subscribers (the same
``PriceChangeService.reductions_for`` that scheduling applies) and how many active subscribers
each reduced plan has. ``schedule`` publishes it through ``PriceChangeService.schedule``, which
enforces the seven days' notice for a reducing change and sends the notices; the draft is then
kept, marked with the version it became.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from caicaini.audit.service import Actor, AuditService
from caicaini.errors import Conflict, NotFound
from caicaini.kit.clock import Clock
from caicaini.kit.ids import new_id
from caicaini.models.plans import PriceSheet, PriceSheetDraft
from caicaini.notices.repository import NoticeRepository
from caicaini.plans.catalogue import sheet_from_dict
from caicaini.plans.changes import NOTICE_PERIOD, PriceChangeService, ScheduledChange, validate
from caicaini.plans.errors import InvalidSheet
from caicaini.plans.service import PlanService
from caicaini.plans.views import PlanView, PriceSheetView

MAX_TEXT = 100_000
_PLAN_FIELDS = (
    ("display_name", "name"),
    ("price_usd", "price (USD a month)"),
    ("monthly_credits", "monthly credits"),
    ("api_keys", "API keys"),
    ("rpm", "requests per minute"),
    ("concurrency", "concurrent requests"),
    ("messages_per_day", "messages per day"),
)
_MODEL_FIELDS = (
    "display_name", "provider", "upstream_model", "max_output_tokens",
    "included_input_tokens", "included_output_tokens",
)  # fmt: skip


@dataclass(frozen=True)
class Change:
    item: str  # "plan plus", "model kimi-k2.5", "top-up small"
    what: str  # the field, or "added" / "removed"
    before: str
    after: str


@dataclass(frozen=True)
class DraftReview:
    draft: PriceSheetDraft
    sheet: PriceSheetView
    current: PriceSheetView
    changes: list[Change]
    reductions: dict[str, list[str]]
    subscribers: dict[str, int] = field(default_factory=dict)  # reduced plan -> accounts
    earliest_reducing_at: datetime | None = None

    @property
    def reducing(self) -> bool:
        return bool(self.reductions)


def _q(key: str) -> str:
    return json.dumps(key)


def sheet_to_toml(sheet: PriceSheetView) -> str:
    """``sheet`` as TOML that ``sheet_from_dict`` reads back to the same sheet."""
    out = [f"summary = {json.dumps(sheet.summary)}", ""]
    for m in sorted(sheet.models.values(), key=lambda m: (m.provider, m.id)):
        out += [f"[models.{_q(m.id)}]"]
        for name in _MODEL_FIELDS:
            value = getattr(m, name)
            out.append(f"{name} = {json.dumps(value)}")
        out.append("")
    for p in sorted(sheet.plans.values(), key=lambda p: (p.price_usd, p.name)):
        rates = ", ".join(f"{_q(k)} = {v}" for k, v in sorted(p.rates.items()))
        out += [
            f"[plans.{_q(p.name)}]",
            f"display_name = {json.dumps(p.display_name)}",
            f'price_usd = "{p.price_usd}"',
            f"monthly_credits = {p.monthly_credits}",
            f"api_keys = {'true' if p.api_keys else 'false'}",
            f"rpm = {p.rpm}",
            f"concurrency = {p.concurrency}",
            f"messages_per_day = {p.messages_per_day}",
            f"rates = {{ {rates} }}",
            "",
        ]
    for t in sorted(sheet.topups.values(), key=lambda t: (t.price_usd, t.name)):
        out += [f"[topups.{_q(t.name)}]", f'price_usd = "{t.price_usd}"',
                f"credits = {t.credits}", ""]  # fmt: skip
    return "\n".join(out)


def parse_draft(text: str) -> PriceSheetView:
    """The sheet a draft describes, or ``InvalidSheet`` saying what is wrong."""
    if len(text) > MAX_TEXT:
        raise InvalidSheet(f"a price sheet is at most {MAX_TEXT:,} characters", field="text")
    try:
        sheet = sheet_from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidSheet(f"the TOML does not parse: {exc}", field="text") from None
    except KeyError as exc:
        raise InvalidSheet(f"a required entry is missing: {exc}", field="text") from None
    except (TypeError, ValueError, InvalidOperation, AttributeError) as exc:
        raise InvalidSheet(f"an entry has the wrong form: {exc}", field="text") from None
    for plan in sheet.plans.values():
        if (
            plan.price_usd < 0
            or plan.monthly_credits < 0
            or min(plan.rpm, plan.concurrency, plan.messages_per_day) <= 0
        ):
            raise InvalidSheet(f"plan {plan.name!r}: prices, credits and limits must be positive")
    for pack in sheet.topups.values():
        if pack.price_usd <= 0 or pack.credits <= 0:
            raise InvalidSheet(f"top-up {pack.name!r}: price and credits must be positive")
    validate(sheet)
    return sheet


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"${value}"
    return str(value)


def diff(old: PriceSheetView, new: PriceSheetView) -> list[Change]:
    """Every difference between two sheets, item by item."""
    changes: list[Change] = []
    for name in sorted(old.models.keys() | new.models.keys()):
        before, after = old.models.get(name), new.models.get(name)
        if before is None or after is None:
            changes.append(
                Change(f"model {name}", "added" if before is None else "removed", "", "")
            )
            continue
        for attr in _MODEL_FIELDS:
            if getattr(before, attr) != getattr(after, attr):
                shown = _show(getattr(before, attr)), _show(getattr(after, attr))
                changes.append(Change(f"model {name}", attr.replace("_", " "), *shown))
    for name in sorted(old.plans.keys() | new.plans.keys()):
        changes += _plan_changes(name, old.plans.get(name), new.plans.get(name))
    for name in sorted(old.topups.keys() | new.topups.keys()):
        was, now = old.topups.get(name), new.topups.get(name)
        if was is None or now is None:
            changes.append(Change(f"top-up {name}", "added" if was is None else "removed", "", ""))
        elif (was.price_usd, was.credits) != (now.price_usd, now.credits):
            before_pack = f"${was.price_usd} for {was.credits} credits"
            after_pack = f"${now.price_usd} for {now.credits} credits"
            changes.append(Change(f"top-up {name}", "price and credits", before_pack, after_pack))
    return changes


def _plan_changes(name: str, before: PlanView | None, after: PlanView | None) -> list[Change]:
    if before is None or after is None:
        return [Change(f"plan {name}", "added" if before is None else "removed", "", "")]
    found = []
    for attr, label in _PLAN_FIELDS:
        if getattr(before, attr) != getattr(after, attr):
            was_v, now_v = _show(getattr(before, attr)), _show(getattr(after, attr))
            found.append(Change(f"plan {name}", label, was_v, now_v))
    for model_id in sorted(before.rates.keys() | after.rates.keys()):
        was, now = before.rates.get(model_id), after.rates.get(model_id)
        if was != now:
            old_rate = "not offered" if was is None else f"{was} credits/unit"
            new_rate = "not offered" if now is None else f"{now} credits/unit"
            found.append(Change(f"plan {name}", f"rate for {model_id}", old_rate, new_rate))
    return found


class DraftService:
    def __init__(self, session: AsyncSession, clock: Clock, public_url: str) -> None:
        self.session = session
        self.clock = clock
        self.plans = PlanService(session, clock)
        self.changes = PriceChangeService(session, clock, public_url)
        self.audit = AuditService(session, clock)

    async def drafts(self) -> list[PriceSheetDraft]:
        stmt = select(PriceSheetDraft).order_by(PriceSheetDraft.created_at.desc()).limit(50)
        return list((await self.session.scalars(stmt)).all())

    async def history(self) -> list[PriceSheet]:
        stmt = select(PriceSheet).order_by(PriceSheet.version.desc())
        return list((await self.session.scalars(stmt)).all())

    async def get(self, draft_id: str, *, for_update: bool = False) -> PriceSheetDraft:
        stmt = select(PriceSheetDraft).where(PriceSheetDraft.id == draft_id)
        if for_update:
            stmt = stmt.with_for_update()
        draft = (await self.session.scalars(stmt)).first()
        if draft is None:
            raise NotFound("no such draft")
        return draft

    async def start(self, *, actor: Actor) -> PriceSheetDraft:
        """A new draft holding the sheet in effect now."""
        current = await self.plans.current_sheet()
        now = self.clock.now()
        draft = PriceSheetDraft(
            id=new_id("draft"), text=sheet_to_toml(current), base_version=current.version,
            status="draft", created_by=actor.id, created_at=now, updated_at=now,
        )  # fmt: skip
        self.session.add(draft)
        await self.session.flush()
        await self.audit.record(
            "plans.draft_started", actor=actor, target_type="price_sheet_draft",
            target_id=draft.id, details={"base_version": current.version},
        )  # fmt: skip
        return draft

    async def save(self, draft_id: str, text: str, *, actor: Actor) -> PriceSheetDraft:
        draft = await self._open(draft_id)
        parse_draft(text)
        draft.text = text.replace("\r\n", "\n")
        draft.updated_at = self.clock.now()
        return draft

    async def _open(self, draft_id: str) -> PriceSheetDraft:
        draft = await self.get(draft_id, for_update=True)
        if draft.status != "draft":
            raise Conflict(f"this draft was {draft.status}; start a new one to change prices")
        return draft

    async def review(self, draft_id: str) -> DraftReview:
        draft = await self.get(draft_id)
        sheet = parse_draft(draft.text)
        current = await self.plans.current_sheet()
        found = await self.changes.reductions_for(sheet)
        subscribers: dict[str, int] = {}
        if found:
            rows = await NoticeRepository(self.session).subscribers(set(found), self.clock.now())
            for plan in found:
                subscribers[plan] = len({a for a, _e, p in rows if p == plan})
        return DraftReview(
            draft, sheet, current, diff(current, sheet), found, subscribers,
            self.clock.now() + NOTICE_PERIOD if found else None,
        )  # fmt: skip

    async def schedule(
        self, draft_id: str, *, effective_at: datetime | None, actor: Actor
    ) -> ScheduledChange:
        draft = await self._open(draft_id)
        change = await self.changes.schedule(
            parse_draft(draft.text), effective_at=effective_at, actor=actor
        )
        draft.status = "scheduled"
        draft.published_version = change.version
        draft.updated_at = self.clock.now()
        return change

    async def discard(self, draft_id: str, *, actor: Actor) -> None:
        draft = await self._open(draft_id)
        draft.status = "discarded"
        draft.updated_at = self.clock.now()
        await self.audit.record(
            "plans.draft_discarded", actor=actor, target_type="price_sheet_draft",
            target_id=draft.id, details={},
        )  # fmt: skip
