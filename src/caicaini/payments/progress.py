"""Where an order stands, in words, for the customer following it (the order page and its feed).

``describe`` reads the order and its payments as recorded (by the IPN, the poller or an
operator) and answers one of a few states, each with a headline, an explanation and whether
it is final (nothing more will happen by itself, so the page stops following it).
"""

from __future__ import annotations

from dataclasses import dataclass

from caicaini.models.payments import Payment, PaymentOrder
from caicaini.payments import status as st


@dataclass(frozen=True)
class Progress:
    state: str
    headline: str
    explanation: str
    tone: str  # "info", "ok", "warn", "bad": how the page colours it
    final: bool


def _latest(payments: list[Payment]) -> Payment | None:
    return max(payments, key=lambda p: (p.status_rank, p.created_at), default=None)


def _delivered(order: PaymentOrder) -> str:
    if order.product_kind == "plan":
        return "Your month of the plan has begun (or is queued after the one you have)."
    return f"{order.credits:,} credits were added to your balance."


def describe(order: PaymentOrder, payments: list[Payment]) -> Progress:
    latest = _latest(payments)
    status = order.status
    reason = order.status_reason or ""
    if status == "paid":
        return Progress(
            "paid", "Paid", f"Your payment is confirmed. {_delivered(order)}", "ok", True
        )
    if status == "cancelled":
        if latest is not None and latest.review == "open":
            return Progress(
                "cancelled_paid",
                "Cancelled, but a payment arrived",
                "You cancelled this order and a payment for it arrived afterwards. It was not "
                "credited automatically: an operator reviews it and contacts you.",
                "warn",
                False,
            )
        return Progress(
            "cancelled",
            "Cancelled",
            "You cancelled this order. Nothing was charged and nothing will be credited: "
            "do not pay its invoice any more. You can buy again from the billing page.",
            "info",
            True,
        )
    if status == "review":
        return Progress(
            "review",
            "Being reviewed",
            "The payment arrived but needs an operator's look"
            + (f" ({latest.review_reason})" if latest and latest.review_reason else "")
            + ". You get an e-mail when it is decided, usually within one working day.",
            "warn",
            False,
        )
    if status in ("rejected", "closed", "reversed"):
        headline = {"rejected": "Not accepted", "closed": "Closed", "reversed": "Reversed"}[status]
        if status == "closed" and latest is not None and latest.status == "expired":
            return Progress(
                "expired",
                "Expired",
                "No payment arrived in time, so the invoice expired. Nothing was charged; "
                "you can buy again from the billing page.",
                "bad",
                True,
            )
        explanation = reason[:1].upper() + reason[1:] + "." if reason else "This order is over."
        return Progress(status, headline, explanation, "bad", True)
    if status == "claimed":
        return Progress(
            "claimed",
            "Transfer submitted: waiting for approval",
            "We have your transaction hash. An operator checks the transfer on the network "
            "and approves it; you get an e-mail when the credits are added.",
            "info",
            False,
        )
    # pending
    if order.method == "manual":
        return Progress(
            "awaiting_transfer",
            "Waiting for your transfer",
            "Send the amount due to the address below, then give us the transaction hash and "
            "the address you sent from.",
            "info",
            False,
        )
    if latest is None or latest.status == "waiting":
        return Progress(
            "awaiting_payment",
            "Waiting for your payment",
            "Pay on the NOWPayments page. This page follows the payment by itself: there is "
            "no need to reload it or to come back through NOWPayments.",
            "info",
            False,
        )
    if latest.status == "confirming":
        return Progress(
            "confirming",
            "Payment seen on the network",
            "Your transfer has been seen and is waiting for enough confirmations on the "
            "blockchain. This takes from a few minutes to an hour, depending on the currency.",
            "info",
            False,
        )
    if latest.status in st.CONFIRMED:
        return Progress(
            "confirmed",
            "Payment confirmed",
            "The payment is confirmed on-chain; the credits are being added.",
            "ok",
            False,
        )
    return Progress(
        "processing",
        "Payment in progress",
        f"NOWPayments reports the payment as {latest.status.replace('_', ' ')}.",
        "info",
        False,
    )


def can_cancel(order: PaymentOrder, payments: list[Payment]) -> bool:
    """A pending order nobody has paid yet: no transfer claimed, nothing seen on the network."""
    if order.status != "pending":
        return False
    return all(p.status == "waiting" or p.status in st.CLOSING for p in payments)
