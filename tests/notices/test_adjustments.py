"""An operator's credit adjustment notifies the customer: a dashboard notice and an e-mail
saying what changed, why, and the balance now; once, however often the form is submitted."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from caicaini.context import AppContext
from caicaini.models.mail import OutboxEmail
from caicaini.models.notices import Notice
from tests.console.helpers import act, as_operator, confirmation, preview
from tests.web.helpers import make_account


async def notices_of(ctx: AppContext, account_id: str) -> tuple[list[Notice], list[OutboxEmail]]:
    async with ctx.read() as session:
        notices = list(await session.scalars(select(Notice).where(Notice.account_id == account_id)))
        mails = list(
            await session.scalars(
                select(OutboxEmail).where(
                    OutboxEmail.account_id == account_id, OutboxEmail.template == "notice"
                )
            )
        )
    return notices, mails


async def test_a_console_adjustment_notifies_the_customer_once(
    client: httpx.AsyncClient, ctx: AppContext
) -> None:
    token = await as_operator(client, ctx)
    acct = await make_account(ctx)
    fields = {"amount": "500", "reason": "outage on 25 Nov"}
    page = await preview(client, token, acct.id, "credits", **fields)
    form = confirmation(page.text, token, None)
    url = f"/console/users/{acct.id}/actions"
    assert (await client.post(url, data=form)).status_code == 303
    assert (await client.post(url, data=form)).status_code == 303  # double submit
    [notice], [mail] = await notices_of(ctx, acct.id)
    assert notice.kind == "credit_adjustment"
    assert mail.subject == notice.subject == "We added 500 credits to your Caicaini balance"
    assert "Reason: outage on 25 Nov" in mail.body_text
    assert "Your balance is now 500 credits." in mail.body_text
    assert mail.to_address == acct.email

    taken = await act(
        client, token, acct.id, "credits", confirm=acct.email, amount="-1", reason="duplicate"
    )
    assert taken.status_code == 303
    notices, mails = await notices_of(ctx, acct.id)
    assert len(notices) == len(mails) == 2
    assert "We took 1 credit out of your Caicaini balance" in {m.subject for m in mails}
