"""The operator's powers over an account, as the console and ``caicaini users ...`` use
them: suspend, ban and reinstate need a reason, e-mail the user, are audited with the
actor, and switch the account's keys off and on; forfeit takes every unspent credit once
per idempotency key; a repeated action changes nothing."""

from __future__ import annotations

import pytest

from caicaini.accounts.moderation import ModerationService
from caicaini.api_keys.repository import ApiKeyRepository
from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.errors import Conflict, InvalidInput, NotFound
from caicaini.plans.hooks import install_default_catalogue
from tests.accounts.helpers import audit_actions, outbox
from tests.gateway.support import balance, customer, issue_key

OPERATOR = Actor("operator", "acct_operator", "127.0.0.1")


async def test_suspend_ban_reinstate(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)
    account_id = await customer(ctx, email="grace@example.com")
    await issue_key(ctx, account_id)
    async with ctx.transaction() as session:
        service = ModerationService(session, ctx.clock, ctx.settings)
        assert (await service.by_email("Grace@Example.com ")).id == account_id
        with pytest.raises(NotFound):
            await service.by_email("nobody@example.com")
        with pytest.raises(InvalidInput, match="give a reason"):
            await service.suspend(account_id, reason=" ", actor=OPERATOR)
        preview = await service.preview("suspend", account_id)
        assert preview.blocked is None and "1 API key(s) stop working" in preview.effects[0]
        assert (await service.suspend(account_id, reason="spam", actor=OPERATOR)).changed
        assert not (await service.suspend(account_id, reason="spam", actor=OPERATOR)).changed
        assert (await service.preview("suspend", account_id)).blocked == (
            "the account is already suspended"
        )
        [key] = await ApiKeyRepository(session).for_account(account_id)
        assert key.disabled_at is not None
        assert (await service.ban(account_id, reason="fraud", actor=OPERATOR)).changed
        outcome = await service.reinstate(account_id, reason="appeal", actor=OPERATOR)
        assert outcome.changed and outcome.account.status == "active"
        assert key.disabled_at is None
    assert (await audit_actions(ctx)).count("account.status_changed") == 3
    subjects = [m.subject for m in await outbox(ctx, "grace@example.com")]
    assert any("suspended" in s for s in subjects) and any("active again" in s for s in subjects)


async def test_forfeit_once_per_key_and_never_on_a_closed_account(ctx: AppContext) -> None:
    await install_default_catalogue(ctx)
    account_id = await customer(ctx, email="grace@example.com", credits=900)
    left = await balance(ctx, account_id)
    async with ctx.transaction() as session:
        service = ModerationService(session, ctx.clock, ctx.settings)
        first = await service.forfeit(
            account_id, reason="Terms 5", actor=OPERATOR, idempotency_key="form-1"
        )
        again = await service.forfeit(
            account_id, reason="Terms 5", actor=OPERATOR, idempotency_key="form-1"
        )
    assert (first.changed, first.credits) == (True, left)
    assert (again.changed, again.credits) == (False, left)
    assert await balance(ctx, account_id) == 0
    assert (await audit_actions(ctx)).count("credits.forfeited") == 1
    assert len([m for m in await outbox(ctx, "grace@example.com") if "forfeit" in m.subject]) == 1
    async with ctx.transaction() as session:
        from caicaini.accounts.closure import ClosureService

        await ClosureService(session, ctx.clock, ctx.settings).close_account(
            account_id, reason="done", actor=OPERATOR
        )
    async with ctx.transaction() as session:
        service = ModerationService(session, ctx.clock, ctx.settings)
        with pytest.raises(Conflict):
            await service.forfeit(account_id, reason="again", actor=OPERATOR)
        with pytest.raises(Conflict):
            await service.suspend(account_id, reason="again", actor=OPERATOR)


async def test_users_create_with_a_role(ctx: AppContext) -> None:
    from caicaini.accounts.commands import create_user
    from caicaini.accounts.roles import role_of

    support = await create_user(
        ctx, email="help@example.com", password="a-long-password", role="Support"
    )
    admin = await create_user(
        ctx, email="boss@example.com", password="a-long-password", operator=True
    )
    customer_ = await create_user(ctx, email="c@example.com", password="a-long-password")
    assert [role_of(a) for a in (support, admin, customer_)] == ["support", "admin", None]
    with pytest.raises(InvalidInput, match="the role is one of support, admin"):
        await create_user(ctx, email="x@example.com", password="a-long-password", role="root")
