"""Receipts: a signed statement of what one message cost.

The signature is HMAC-SHA256 keyed with the server secret over the receipt's canonical JSON
(sorted keys, no spaces): request id, time, key, model, provider, usage with cache fields,
units, rate, price-sheet version, credits charged and the grants debited. Anyone holding the
secret (support) can show a receipt was not altered; ``verify`` recomputes it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def canonical(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(secret: str, payload: dict[str, Any]) -> str:
    return hmac.new(secret.encode(), canonical(payload), hashlib.sha256).hexdigest()


def verify(secret: str, payload: dict[str, Any], signature: str) -> bool:
    return hmac.compare_digest(sign(secret, payload), signature)
