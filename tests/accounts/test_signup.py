"""Sign-up: who may register, what is stored, and that bad input changes nothing."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.models.accounts import Account, AccountSignal
from caicaini.models.audit import AuditEntry
from caicaini.models.mail import OutboxEmail
from tests.accounts.helpers import account_by_email, count, outbox, sign_up_body


async def test_sign_up_stores_an_unverified_account_and_mails_a_link(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    response = await client.post("/api/v1/accounts", json=sign_up_body("Ada@Example.COM"))

    assert response.status_code == 201
    body = response.json()
    assert body["account"]["email"] == "ada@example.com"
    assert body["account"]["email_verified"] is False
    account = await account_by_email(ctx, "ada@example.com")
    assert account is not None and account.password_hash.startswith("$argon2id$")
    assert account.country == "GB"
    [mail] = await outbox(ctx)
    assert mail.to_address == "ada@example.com"
    assert "/verify-email?token=" in mail.body_text


async def test_sign_up_is_audited_without_personal_data_in_details(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await client.post("/api/v1/accounts", json=sign_up_body())
    async with ctx.transaction() as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert entry.action == "account.signed_up"
    assert entry.ip == "203.0.113.7"
    assert entry.personal == {"email": "ada@example.com"}
    assert "ada@example.com" not in str(entry.details)


async def test_sign_up_records_ip_and_device_signals(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    await client.post("/api/v1/accounts", json=sign_up_body())
    async with ctx.transaction() as session:
        signals = {(s.kind, s.event) for s in (await session.scalars(select(AccountSignal))).all()}
    assert signals == {("ip", "signup"), ("device", "signup")}


async def test_under_13_is_refused_with_a_clear_message_and_nothing_stored(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    # The test clock stands on 26 Nov 2026: born 27 Nov 2013 is one day short of 13.
    response = await client.post("/api/v1/accounts", json=sign_up_body(date_of_birth="2013-11-27"))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "too_young"
    assert "at least 13 years old" in error["message"]
    assert await count(ctx, Account) == 0
    assert await count(ctx, OutboxEmail) == 0


async def test_thirteenth_birthday_is_old_enough(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/accounts", json=sign_up_body(date_of_birth="2013-11-26"))
    assert response.status_code == 201


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"email": "not-an-address"}, "invalid_email", "not valid"),
        ({"email": "ada@@example.com"}, "invalid_email", "not valid"),
        ({"password": "short1"}, "weak_password", "at least 10"),
        ({"password": "onlylowercaseletters"}, "weak_password", "two kinds"),
        ({"password": "Password123"}, "weak_password", "too common"),
        ({"password": "ada-lovelace-1815"}, "weak_password", "e-mail"),
        ({"country": "XX"}, "invalid_input", "country"),
        ({"date_of_birth": "2030-01-01"}, "invalid_input", "future"),
    ],
)
async def test_bad_input_gets_a_clear_error_and_changes_nothing(
    client: httpx.AsyncClient, ctx: AppContext, overrides: dict[str, str], code: str, words: str
) -> None:
    email = overrides.get("email", "ada-lovelace@example.com")
    response = await client.post(
        "/api/v1/accounts", json=sign_up_body(**{"email": email, **overrides})
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == code
    assert words in response.json()["error"]["message"]
    assert await count(ctx, Account) == 0
    assert await count(ctx, OutboxEmail) == 0


async def test_one_email_one_account_whatever_the_case(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    assert (await client.post("/api/v1/accounts", json=sign_up_body())).status_code == 201
    again = await client.post(
        "/api/v1/accounts", json=sign_up_body("ADA@example.com", device_fingerprint=None)
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "email_taken"
    assert await count(ctx, Account) == 1


async def test_signing_up_records_acceptance_of_the_terms_in_effect(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    from caicaini.audit.service import Actor
    from caicaini.notices.terms import TermsService

    async with ctx.transaction() as session:
        terms = await TermsService(session, ctx.clock, "http://testserver").publish(
            "Terms text", effective_at=None, material=False, summary="first", actor=Actor.system()
        )
    await client.post("/api/v1/accounts", json=sign_up_body("terms@example.com"))
    account = await account_by_email(ctx, "terms@example.com")
    assert account is not None
    async with ctx.transaction() as session:
        accepted = await TermsService(session, ctx.clock, "x").has_accepted(
            account.id, terms.version
        )
    assert accepted
