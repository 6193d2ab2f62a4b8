"""The audit log in the console: every action's entry names the operator by full id and
carries the reason; filters by actor, account, action and time; JSON details shown as
readable JSON; the chain's verification on request, which reports a tampered row."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from caicaini.context import AppContext
from caicaini.models.audit import AuditEntry
from tests.console.helpers import act, as_operator, make_operator
from tests.web.helpers import login, make_account


async def table(client: httpx.AsyncClient, **params: str) -> str:
    page = await client.get("/console/audit", params=params)
    assert page.status_code == 200, page.text
    return page.text.split('class="table compact audit"', 1)[1].split("</table>", 1)[0]


async def test_filters_full_ids_and_readable_details(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    op = await make_operator(ctx, "op2@example.com", "admin")
    ada = await make_account(ctx, "ada@example.com")
    bob = await make_account(ctx, "bob@example.com")
    await act(client, token, ada.id, "credits", amount="100", reason="outage credit")
    await act(client, token, bob.id, "suspend", reason="spam é", confirm="bob@example.com")

    everything = await table(client)
    assert "credits.adjusted" in everything and "account.status_changed" in everything
    by_account = await table(client, account="bob@example.com")
    assert "account.status_changed" in by_account and "credits.adjusted" not in by_account
    assert bob.id in by_account
    by_action = await table(client, action="credits.adjusted")
    assert "credits.adjusted" in by_action and "account.status_changed" not in by_action
    family = await table(client, action="account.")
    assert "account.status_changed" in family and "credits.adjusted" not in family
    assert "&#34;reason&#34;: &#34;spam é&#34;" in family  # readable JSON, not \\u00e9
    mine = await table(client, actor="op@example.com")
    assert "credits.adjusted" in mine and "account.status_changed" in mine
    assert "No entries." in await table(client, actor=op.id)
    assert "No entries." in await table(client, **{"from": "2026-11-27"})
    assert "credits.adjusted" in await table(client, **{"from": "2026-11-26", "to": "2026-11-26"})
    for params, message in (
        ({"actor": "nobody@example.com"}, "no account with e-mail nobody@example.com"),
        ({"from": "soon"}, "from is a date"),
        ({"before": "x"}, "before is an entry number"),
    ):
        refused = await client.get("/console/audit", params=params)
        assert refused.status_code == 400 and message in refused.text


async def test_the_chain_is_verified_on_request(client: httpx.AsyncClient, ctx: AppContext) -> None:
    token = await as_operator(client, ctx)
    ada = await make_account(ctx)
    await act(client, token, ada.id, "credits", amount="100", reason="outage credit")
    page = await client.get("/console/audit")
    assert 'id="verify-chain"' in page.text and 'id="chain-ok"' not in page.text
    ok = await client.get("/console/audit", params={"verify": "1"})
    assert 'id="chain-ok"' in ok.text and "The chain verifies" in ok.text
    async with ctx.transaction() as session:
        await session.execute(
            update(AuditEntry)
            .where(AuditEntry.action == "credits.adjusted")
            .values(details={"amount": 100000})
        )
    broken = await client.get("/console/audit", params={"verify": "1"})
    assert "The chain is broken." in broken.text and "does not match its hash" in broken.text


async def test_support_reads_the_audit_log_and_customers_cannot(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await as_operator(client, ctx, role="support")
    assert (await client.get("/console/audit", params={"verify": "1"})).status_code == 200
    await make_account(ctx, "cust@example.com")
    await client.post("/logout", data={})
    client.cookies.clear()
    await login(client, "cust@example.com")
    assert (await client.get("/console/audit")).status_code == 403
