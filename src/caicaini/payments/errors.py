"""Payment errors with stable codes."""

from __future__ import annotations

from caicaini.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied


class PaymentProviderError(DomainError):
    """The payment provider could not be reached or refused the call; nothing was recorded."""

    code = "payment_provider_error"


class OrderNotFound(NotFound):
    """No such order for this account."""

    code = "order_not_found"


class MajorityRequired(PermissionDenied):
    """A paid subscription needs the age of majority of the account's country (Terms §2)."""

    code = "age_of_majority_required"


class EmailNotVerified(PermissionDenied):
    """Paying needs a verified e-mail address: receipts and notices go there."""

    code = "email_not_verified"


class TxHashAlreadyClaimed(Conflict):
    """A transaction hash pays for one order only."""

    code = "tx_hash_already_claimed"


class OrderState(Conflict):
    """The order is not in a state that allows this action."""

    code = "order_state"


class NoManualRoute(InvalidInput):
    """No receiving address or USD rate is configured for that currency and network."""

    code = "manual_currency_unavailable"


class NothingRefundable(Conflict):
    """Only unspent credits of the payment can be refunded, and none remain."""

    code = "nothing_refundable"


class NoReceipt(NotFound):
    """Only a paid order has a payment receipt."""

    code = "receipt_not_available"


class TooManyOpenInvoices(Conflict):
    """An account has at most ``MAX_OPEN_INVOICES`` unpaid NOWPayments invoices open at once."""

    code = "too_many_open_invoices"
