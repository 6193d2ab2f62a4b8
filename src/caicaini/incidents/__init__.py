"""Provider incidents: declared windows shown on /status, and the reconciliation that returns
the credits of messages that failed or were cut in them (ARCHITECTURE §6)."""
