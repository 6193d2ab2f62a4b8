"""One-time links kept out of the outbox at rest.

A mail that carries a single-use link (verify an address, reset a password, confirm a new
address) is stored with a placeholder where the token goes: ``{caicaini-token:<token id>}``.
The token itself is derived from the token's id and the server's secret key (HMAC-SHA256),
which is not in the database, and is put in only when the mail is handed to SMTP (and, in
development, when ``/dev/mail`` shows it). The accounts table keeps the token's SHA-256, as
before. So neither a copy of the outbox nor one of the whole database yields a working link:
that needs the secret key too.

Rotating the secret key makes links already queued but not yet sent unusable (the reader
asks for a new one), which is what a rotation after a leak should do anyway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

_PLACEHOLDER = re.compile(r"\{caicaini-token:([A-Za-z0-9_]{1,40})\}")


def placeholder(token_id: str) -> str:
    """What the stored mail holds where the token of ``token_id`` goes."""
    return "{caicaini-token:" + token_id + "}"


def token_for(secret_key: str, token_id: str) -> str:
    """The link's token: 43 URL-safe characters, reproducible only with the secret key."""
    digest = hmac.new(secret_key.encode(), b"mail-link:" + token_id.encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()


def reveal(text: str, secret_key: str) -> str:
    """``text`` with every placeholder replaced by its token (at send time only)."""
    return _PLACEHOLDER.sub(lambda m: token_for(secret_key, m.group(1)), text)
