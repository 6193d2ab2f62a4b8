"""Notices to account owners (dashboard + e-mail) and the versioned Terms of Service."""
