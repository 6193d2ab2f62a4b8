"""The credit ledger: grants, holds, settlements and the invariants that keep them exact."""
