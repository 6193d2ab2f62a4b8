"""API keys: issued to accounts whose plan includes them, shown once, stored as a hash."""
