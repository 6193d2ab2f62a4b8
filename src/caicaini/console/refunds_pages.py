"""Console pages for refunds and reversals (Terms §3, §10). A refund starts from a paid
order and an incident or a list of failed requests: the preview shows the refundable
credits and the payout, the confirmation (the payout amount typed out) freezes the credits,
and the payout's transaction hash completes it. A reversal or chargeback runs from the
order page too. Both go through ``payments.refunds`` / ``payments.reversals``, the services
behind ``caicaini payments refund|refund-paid|reverse``. The refunds report totals them by
month and currency."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from caicaini.accounts.deps import CurrentAccount, require_admin, require_operator
from caicaini.console import refunds
from caicaini.console.formats import crypto
from caicaini.console.forms import Preview, actor, check_confirmation, read_form, require_reason
from caicaini.console.payments_pages import order_context
from caicaini.context import AppContext
from caicaini.errors import InvalidInput
from caicaini.http.deps import app_context
from caicaini.kit.ids import new_id
from caicaini.payments.refunds import RefundService
from caicaini.payments.reversals import ReversalService
from caicaini.web.rendering import remember_form, render

router = APIRouter(include_in_schema=False)


def _refund_reason(form: dict[str, str]) -> tuple[str | None, list[str] | None]:
    incident = form.get("incident", "").strip()
    requests = [
        r for r in form.get("failed_requests", "").replace("\n", ",").split(",") if r.strip()
    ]
    if bool(incident) == bool(requests):
        raise InvalidInput(
            "name either an incident or the failed requests (one of the two)", field="incident"
        )
    return incident or None, [r.strip() for r in requests] or None


async def _remember_order(
    request: Request, ctx: AppContext, order_id: str, form: dict[str, str], name: str
) -> None:
    context = await order_context(ctx, order_id)
    remember_form(request, "console_order.html", {**context, "form": form, "form_name": name})


@router.post("/console/orders/{order_id}/refund")
async def refund(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    await _remember_order(request, ctx, order_id, form, "refund")
    incident, failed = _refund_reason(form)
    fee = form.get("fee", "").strip() or "0"
    async with ctx.transaction() as session:
        quote = await refunds.refund_quote(
            session, ctx.clock, ctx.settings.public_url, order_id, fee
        )
        word = crypto(quote.amount)
        if form.get("step") != "apply":
            carry = {
                "incident": incident or "",
                "failed_requests": ",".join(failed or []),
                "fee": fee,
            }
            preview = Preview(
                "Refund", f"order {order_id}", refunds.refund_effects(quote),
                url=f"/console/orders/{order_id}/refund", cancel=f"/console/orders/{order_id}",
                carry=carry, confirm_word=word,
            )  # fmt: skip
            context = {"preview": preview, "op": new_id("op"), "console_tab": "orders"}
            return render(request, "console_confirm.html", context)
        check_confirmation(form, word)
        row = await RefundService(session, ctx.clock, ctx.settings.public_url).open(
            order_id, network_fee=fee, actor=actor(me, request), incident=incident,
            failed_requests=failed,
        )  # fmt: skip
    return RedirectResponse(f"/console/refunds/{row.id}?done=opened", status_code=303)


@router.post("/console/orders/{order_id}/reverse")
async def reverse(
    order_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    await _remember_order(request, ctx, order_id, form, "reverse")
    reason = require_reason(form.get("reason"))
    async with ctx.transaction() as session:
        effects = await refunds.reversal_effects(session, ctx.clock, order_id)
        if form.get("step") != "apply":
            preview = Preview(
                "Reverse the payment", f"order {order_id}", effects,
                url=f"/console/orders/{order_id}/reverse", cancel=f"/console/orders/{order_id}",
                carry={"reason": reason}, confirm_word=order_id,
            )  # fmt: skip
            context = {"preview": preview, "op": new_id("op"), "console_tab": "orders"}
            return render(request, "console_confirm.html", context)
        check_confirmation(form, order_id)
        await ReversalService(session, ctx.clock, ctx.settings).reverse_order(
            order_id, reason=reason, actor=actor(me, request)
        )
    return RedirectResponse(f"/console/orders/{order_id}?done=reversed", status_code=303)


@router.get("/console/refunds", response_class=HTMLResponse)
async def refunds_page(
    request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        rows, report = await refunds.refunds_report(session)
    return render(request, "console_refunds.html", {"rows": rows, "report": report})


@router.get("/console/refunds/{refund_id}", response_class=HTMLResponse)
async def refund_page(
    refund_id: str, request: Request, me: CurrentAccount = Depends(require_operator)
) -> Response:
    ctx = app_context(request)
    async with ctx.transaction() as session:
        context = await refunds.refund_detail(session, refund_id)
    context["done"] = request.query_params.get("done")
    return render(request, "console_refund.html", context)


@router.post("/console/refunds/{refund_id}/payout")
async def record_payout(
    refund_id: str, request: Request, me: CurrentAccount = Depends(require_admin)
) -> Response:
    ctx = app_context(request)
    form = await read_form(request)
    async with ctx.transaction() as session:
        context = await refunds.refund_detail(session, refund_id)
    remember_form(request, "console_refund.html", {**context, "form": form})
    async with ctx.transaction() as session:
        await RefundService(session, ctx.clock, ctx.settings.public_url).record_payout(
            refund_id, form.get("tx_hash", ""), actor=actor(me, request)
        )
    return RedirectResponse(f"/console/refunds/{refund_id}?done=paid", status_code=303)
