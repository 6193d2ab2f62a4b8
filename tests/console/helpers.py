"""Shared steps for console tests: operators of each role, and an action taken the way the
console takes it (preview, then the confirmation, with the e-mail typed for a destructive one)."""

from __future__ import annotations

import re

import httpx

from caicaini.context import AppContext
from caicaini.models.accounts import Account
from tests.web.helpers import catalogue, login, make_account


async def as_operator(
    client: httpx.AsyncClient, ctx: AppContext, role: str = "admin", email: str = "op@example.com"
) -> str:
    """Log ``client`` in as an operator with ``role``; returns the CSRF token."""
    await catalogue(ctx)
    await make_operator(ctx, email, role)
    return await login(client, email)


async def make_operator(ctx: AppContext, email: str, role: str) -> Account:
    account = await make_account(ctx, email, operator=True)
    async with ctx.transaction() as session:
        row = await session.get(Account, account.id)
        assert row is not None
        row.operator_role = role
    return account


def hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name} field"
    return match.group(1)


async def preview(
    client: httpx.AsyncClient, token: str, account_id: str, action: str, **fields: str
) -> httpx.Response:
    return await client.post(
        f"/console/users/{account_id}/actions",
        data={"csrf_token": token, "action": action, **fields},
    )


async def act(
    client: httpx.AsyncClient,
    token: str,
    account_id: str,
    action: str,
    *,
    confirm: str | None = None,
    **fields: str,
) -> httpx.Response:
    """Preview, then confirm with the page's own hidden fields (and ``confirm`` typed)."""
    page = await preview(client, token, account_id, action, **fields)
    assert page.status_code == 200, page.text
    return await client.post(
        f"/console/users/{account_id}/actions", data=confirmation(page.text, token, confirm)
    )


def confirmation(html: str, token: str, confirm: str | None) -> dict[str, str]:
    form = html.split('id="confirm"', 1)[1].split("</form>", 1)[0]
    data = dict(re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', form))
    data["csrf_token"] = token
    if confirm is not None:
        data["confirm_text"] = confirm
    return data
