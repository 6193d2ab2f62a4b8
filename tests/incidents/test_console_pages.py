"""The console's incident pages in-process: provider health from recent calls, declaring an
incident (then shown on /status), previewing and reconciling it (twice: the second run returns
nothing), bulk credit previewed then granted once; customers are refused, bad input changes
nothing and says why."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx

from caicaini.audit.service import Actor
from caicaini.context import AppContext
from caicaini.incidents.service import IncidentService
from caicaini.testing.fake_upstream import FakeScript
from tests.console.helpers import as_operator
from tests.gateway.support import CLAUDE, RATES, balance, customer
from tests.incidents.support import audit_of, two_customers_with_a_failure_each
from tests.web.helpers import csrf_of, login, make_account

HOUR = timedelta(hours=1)


async def test_health_declare_preview_reconcile_twice_and_status(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    alice, bob = await two_customers_with_a_failure_each(gctx, gclient)
    token = await as_operator(gclient, gctx)
    page = await gclient.get("/console/incidents")
    assert page.status_code == 200
    health = page.text.split('id="health-anthropic"', 1)[1].split("</tr>", 1)[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', health)
    assert cells[:3] == ["4", "2", "50.0%"]  # requests, errors, error rate
    assert ">degraded<" in health

    declared = await gclient.post(
        "/console/incidents",
        data={"csrf_token": token, "provider": "anthropic", "title": "Anthropic overloaded",
              "start": "2026-11-26T11:00", "end": ""},
    )  # fmt: skip
    assert declared.status_code == 303
    url = declared.headers["location"].split("?")[0]
    incident_id = url.rsplit("/", 1)[1]
    page = await gclient.get(url)
    assert "2 messages, 6 credits to 2 accounts" in page.text
    assert "alice@example.com" in page.text and "bob@example.com" in page.text
    status = await gclient.get("/status")
    assert f'id="incident-{incident_id}"' in status.text and "Anthropic overloaded" in status.text
    assert "still under way" in status.text

    before = {a: await balance(gctx, a) for a in (alice, bob)}
    no_reason = await gclient.post(f"{url}/reconcile", data={"csrf_token": token, "reason": ""})
    assert no_reason.status_code == 400 and "give a reason" in no_reason.text
    no_csrf = await gclient.post(f"{url}/reconcile", data={"reason": "outage"})
    assert no_csrf.status_code == 403
    assert {a: await balance(gctx, a) for a in (alice, bob)} == before  # nothing changed

    done = await gclient.post(f"{url}/reconcile", data={"csrf_token": token, "reason": "outage"})
    assert done.status_code == 303 and "returned=6" in done.headers["location"]
    page = await gclient.get(done.headers["location"])
    assert "Returned 6 credits" in page.text and "0 messages, 0 credits" in page.text
    assert {a: await balance(gctx, a) for a in (alice, bob)} == {
        a: before[a] + RATES[CLAUDE] for a in (alice, bob)
    }
    again = await gclient.post(f"{url}/reconcile", data={"csrf_token": token, "reason": "outage"})
    assert "returned=0" in again.headers["location"]
    page = await gclient.get(again.headers["location"])
    assert "Nothing more to return" in page.text
    assert {a: await balance(gctx, a) for a in (alice, bob)} == {
        a: before[a] + RATES[CLAUDE] for a in (alice, bob)
    }
    [run] = await audit_of(gctx, "incident.reconciled")
    assert run.details["note"] == "outage" and run.actor_id is not None

    ended = await gclient.post(f"{url}/end", data={"csrf_token": token, "end": ""})
    assert ended.status_code == 303
    assert "resolved" in (await gclient.get("/status")).text


async def test_declaring_bad_input_rerenders_the_form_and_records_nothing(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    token = await as_operator(gclient, gctx)
    cases = [
        ({"provider": "", "title": "x", "start": "2026-11-26T11:00"}, "unknown provider"),
        ({"provider": "anthropic", "title": "x", "start": "soon"}, "start must be an ISO time"),
        ({"provider": "anthropic", "title": "", "start": "2026-11-26T11:00"}, "give the incident"),
        (
            {"provider": "anthropic", "title": "x", "start": "2026-11-26T11:00",
             "end": "2026-11-26T10:00"},
            "must end after it starts",
        ),
    ]  # fmt: skip
    for data, message in cases:
        page = await gclient.post("/console/incidents", data={"csrf_token": token, **data})
        assert page.status_code == 400 and message in page.text
        assert 'id="declare-form"' in page.text
    assert await audit_of(gctx, "incident.declared") == []
    assert (await gclient.get("/console/incidents/inc_nope")).status_code == 404


async def test_support_reads_the_pages_but_gets_403_on_every_action(
    gctx: AppContext, gclient: httpx.AsyncClient, fake: FakeScript
) -> None:
    alice, _bob = await two_customers_with_a_failure_each(gctx, gclient)
    token = await as_operator(gclient, gctx, role="support")
    async with gctx.transaction() as session:
        incident = await IncidentService(session, gctx.clock, "http://t").declare(
            provider="anthropic", title="Overloaded", starts_at=gctx.clock.now() - HOUR,
            ends_at=None, actor=Actor("operator", "op"),
        )  # fmt: skip
    url = f"/console/incidents/{incident.id}"
    for path in ("/console/incidents", url, "/console/credits/bulk"):
        assert (await gclient.get(path)).status_code == 200
    before = await balance(gctx, alice)
    attempts = [
        (
            "/console/incidents",
            {"provider": "anthropic", "title": "x", "start": "2026-11-26T11:00"},
        ),
        (f"{url}/reconcile", {"reason": "outage"}),
        (f"{url}/end", {}),
        (
            "/console/credits/bulk/preview",
            {"accounts": "alice@example.com", "amount": "5", "reason": "r"},
        ),
        ("/console/credits/bulk", {"accounts": "alice@example.com", "amount": "5", "reason": "r"}),
    ]
    for path, data in attempts:
        r = await gclient.post(path, data={"csrf_token": token, **data})
        assert r.status_code == 403 and "admin" in r.text, path
    assert await balance(gctx, alice) == before
    assert await audit_of(gctx, "incident.reconciled") == []
    assert len(await audit_of(gctx, "incident.declared")) == 1


async def test_customers_cannot_open_or_use_the_incident_pages(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    await make_account(gctx, "ada@example.com")
    token = await login(gclient, "ada@example.com")
    for path in ("/console/incidents", "/console/credits/bulk"):
        assert (await gclient.get(path)).status_code == 403
    r = await gclient.post(
        "/console/incidents",
        data={"csrf_token": token, "provider": "anthropic", "title": "x",
              "start": "2026-11-26T11:00"},
    )  # fmt: skip
    assert r.status_code == 403
    assert await audit_of(gctx, "incident.declared") == []


async def test_bulk_credit_is_previewed_refused_when_a_name_is_unknown_and_granted_once(
    gctx: AppContext, gclient: httpx.AsyncClient
) -> None:
    token = await as_operator(gclient, gctx)
    alice = await customer(gctx, email="alice@example.com", credits=0)
    bob = await customer(gctx, email="bob@example.com", credits=0)
    form = {"csrf_token": token, "amount": "250", "reason": "sorry for the outage"}
    page = await gclient.post(
        "/console/credits/bulk/preview",
        data={**form, "accounts": "alice@example.com, nobody@example.com"},
    )
    assert page.status_code == 200
    assert "No account for nobody@example.com" in page.text and 'id="bulk-confirm"' not in page.text
    refused = await gclient.post(
        "/console/credits/bulk",
        data={**form, "accounts": "alice@example.com nobody@example.com", "batch_key": "b1"},
    )
    assert refused.status_code == 400 and "nothing was granted" in refused.text
    assert await balance(gctx, alice) == 0

    no_reason = await gclient.post(
        "/console/credits/bulk/preview", data={**form, "reason": "", "accounts": "x@y.z"}
    )
    assert no_reason.status_code == 400 and "give a reason" in no_reason.text

    page = await gclient.post(
        "/console/credits/bulk/preview",
        data={**form, "accounts": f"Alice@Example.com\n{bob}\nalice@example.com"},
    )
    assert "250 credits to each of 2 accounts: 500 in all." in page.text
    confirm = page.text.split('id="bulk-confirm"', 1)[1].split("</form>", 1)[0]
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', confirm))
    assert fields["csrf_token"] == csrf_of(page.text)
    for _ in range(2):  # a double submit grants once
        done = await gclient.post("/console/credits/bulk", data=fields)
        assert done.status_code == 303
    assert "Credited 2 accounts" in (await gclient.get(done.headers["location"])).text
    assert (await balance(gctx, alice), await balance(gctx, bob)) == (250, 250)
    [batch] = await audit_of(gctx, "credits.bulk_granted")
    assert batch.details == {
        "accounts": 2, "amount": 250, "total": 500, "reason": "sorry for the outage"
    }  # fmt: skip
    assert len(await audit_of(gctx, "credits.adjusted")) == 2
