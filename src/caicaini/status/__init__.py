"""Provider health for the public status page, derived from gateway usage records."""
