"""The web chat: conversations with the plan's models, streamed and metered by the engine."""
