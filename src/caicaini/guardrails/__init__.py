"""Credit guardrails: spend caps (daily and monthly, per account and per API key), the
low-balance alert and the customer's notice of an operator's credit adjustment.

Caps are enforced by the gateway's ``Meter`` at hold time (``caicaini.guardrails.caps``);
everything here is the rules and the customer's settings around it.
"""
