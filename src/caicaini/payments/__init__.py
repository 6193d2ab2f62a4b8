"""Payments: orders priced in USD, settled in crypto through NOWPayments or a manual transfer.

An order (product, USD price, price-sheet version) gets payments. A NOWPayments payment is
created from an authenticated IPN or the poller, always from the status fetched from the API,
and its status only moves forward (``status.RANK``). Credits are granted once per payment, at
the first status meaning confirmed on-chain (ledger idempotency key ``payment:<id>:grant``);
partial, repeated or mismatched payments wait in the operator review queue with a suggested
prorated grant. Manual transfers are claimed with a transaction hash (claimed once) and
approved by an operator. Refunds freeze the unspent credits of a payment, then remove them
when the payout is recorded; a reversal removes what is left, records the shortfall as a debt
and suspends the account.
"""
