"""Plans and the rate card: versioned price sheets, per-message pricing, scheduled changes."""
