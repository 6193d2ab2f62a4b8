"""Subscriptions in the ledger: periods, their prorated monthly allowance, the free plan."""
