"""The API gateway: Anthropic and OpenAI endpoints in front of the model providers, metered
through the ledger. ``pipeline`` draws the flow of one request."""
