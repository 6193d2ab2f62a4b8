"""Terms of Service versions from the console: a proposed text is compared with the version in
effect; a material change needs 7 days' notice and tells every active account; each published
version keeps its text in the history; /terms shows the version in effect. The clock stands on
26 Nov 2026, 12:00 UTC."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.kit.clock import FrozenClock
from caicaini.models.mail import OutboxEmail
from caicaini.notices.hooks import after_migrate, shipped_terms_text
from tests.console.helpers import as_operator
from tests.incidents.support import audit_of
from tests.web.helpers import make_account

NEW_CLAUSE = "Refunds of unused top-ups are paid within 14 days."


def amended() -> str:
    return shipped_terms_text().rstrip() + "\n" + NEW_CLAUSE + "\n"


def confirm_fields(html: str) -> dict[str, str]:
    form = html.split('id="terms-publish"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))


async def test_a_material_change_needs_seven_days_and_keeps_its_history(
    client: httpx.AsyncClient, ctx: AppContext, clock: FrozenClock
) -> None:
    await after_migrate(ctx)  # version 1: the shipped text
    await make_account(ctx, "alice@example.com")
    token = await as_operator(client, ctx)
    page = await client.post(
        "/console/terms/preview",
        data={"csrf_token": token, "text": amended(), "summary": "Refund timing.",
              "material": "on"},
    )  # fmt: skip
    assert page.status_code == 200
    diff = page.text.split('id="terms-diff"', 1)[1].split("</pre>", 1)[0]
    assert f'<span class="added">+{NEW_CLAUSE}</span>' in diff
    fields = confirm_fields(page.text)
    assert fields["material"] == "on" and fields["summary"] == "Refund timing."

    too_soon = (clock.now() + timedelta(days=6)).strftime("%Y-%m-%dT%H:%M")
    refused = await client.post("/console/terms", data={**fields, "effective_at": too_soon})
    assert refused.status_code == 400
    assert "material changes to the Terms need 7 days" in refused.text
    in_a_week = (clock.now() + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    done = await client.post("/console/terms", data={**fields, "effective_at": in_a_week})
    assert done.status_code == 303 and done.headers["location"].endswith("v=2")

    async with ctx.transaction() as session:
        mails = (await session.scalars(select(OutboxEmail))).all()
    told = {m.to_address for m in mails if "Terms of Service change" in m.subject}
    assert "alice@example.com" in told
    [shipped, entry] = await audit_of(ctx, "terms.published")
    assert (shipped.actor_kind, entry.actor_kind) == ("system", "operator")
    assert entry.details["material"] is True and entry.actor_id is not None

    history = await client.get("/console/terms")
    assert 'id="terms-2"' in history.text and "announced" in history.text
    assert NEW_CLAUSE in (await client.get("/console/terms/2")).text
    assert NEW_CLAUSE not in (await client.get("/console/terms/1")).text
    assert NEW_CLAUSE not in (await client.get("/terms")).text  # not in effect yet
    clock.advance(timedelta(days=7))
    assert NEW_CLAUSE in (await client.get("/terms")).text


async def test_a_non_material_change_takes_effect_at_once_without_notices(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await after_migrate(ctx)
    await make_account(ctx, "alice@example.com")
    token = await as_operator(client, ctx)
    missing = await client.post(
        "/console/terms", data={"csrf_token": token, "text": amended(), "summary": ""}
    )
    assert missing.status_code == 400 and "summarise the change" in missing.text
    done = await client.post(
        "/console/terms",
        data={"csrf_token": token, "text": amended(), "summary": "Typo.", "effective_at": ""},
    )
    assert done.status_code == 303
    assert NEW_CLAUSE in (await client.get("/terms")).text
    async with ctx.transaction() as session:
        assert (await session.scalars(select(OutboxEmail))).all() == []


async def test_support_reads_the_history_but_cannot_publish(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await after_migrate(ctx)
    token = await as_operator(client, ctx, role="support", email="support@example.com")
    assert (await client.get("/console/terms")).status_code == 200
    for path in ("/console/terms/preview", "/console/terms"):
        r = await client.post(path, data={"csrf_token": token, "text": amended(), "summary": "x"})
        assert r.status_code == 403
    assert [e.actor_kind for e in await audit_of(ctx, "terms.published")] == ["system"]
    assert (await client.get("/console/terms/9")).status_code == 404
