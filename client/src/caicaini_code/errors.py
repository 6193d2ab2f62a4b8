"""What each failure means to the person, in one clear message (and the exit codes)."""

from __future__ import annotations

from caicaini_code.api import ApiError

EXIT_ERROR = 1
EXIT_BUDGET = 3  # stopped by --max-credits before overspending
EXIT_INTERRUPTED = 130


class NotSignedIn(Exception):
    def __init__(self, base_url: str) -> None:
        super().__init__(
            f"Not signed in to {base_url}. Run `caicaini-code login` (or set CAICAINI_API_KEY)."
        )


def explain(error: ApiError, base_url: str) -> str:
    code, status, message = error.code or "", error.status, error.message
    if code == "connection_failed":
        return f"Cannot reach the server: {message}. Check --base-url / CAICAINI_BASE_URL."
    if code in ("spend_cap_reached", "key_cap_reached"):
        return f"Spend cap reached, nothing was sent: {message}"
    if status == 402:
        return (
            f"Your credit balance is too low for this request ({message}). Top up at "
            f"{base_url}/billing"
        )
    if status == 401:
        return (
            "The server refused this API key: it was revoked, has expired or is unknown. "
            "Sign in again with `caicaini-code login`."
        )
    if code == "account_unavailable":
        return f"Your account cannot be used: {message}. Contact support if this is unexpected."
    if code in ("api_keys_not_in_plan", "access_denied", "expired_token", "invalid_grant"):
        return message[:1].upper() + message[1:] + "."
    if status == 429:
        wait = f" Retry in {int(error.retry_after)} s." if error.retry_after else ""
        return f"Rate limited: {message}.{wait}"
    if status in (500, 502, 503, 504, 529):
        return f"The model provider failed ({status}): {message}. Try again in a moment."
    return f"The server refused the request ({status}): {message}"
