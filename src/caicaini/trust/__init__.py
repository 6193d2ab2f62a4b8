"""Trust and safety: one person, one account (ARCHITECTURE §4)."""
