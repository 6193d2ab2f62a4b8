"""Accounts: sign-up, e-mail verification, login sessions, password and e-mail changes,
account states and closure (ARCHITECTURE §4)."""
