"""NOWPayments IPN signatures: HMAC-SHA512 over a JavaScript-identical canonical body.

NOWPayments signs ``JSON.stringify`` of the body with keys sorted recursively. Python's
``json.dumps`` differs from JavaScript for numbers (``5e-05`` vs ``0.00005``, ``1e-07`` vs
``1e-7``), so the body is parsed keeping every number's text (``Decimal`` / ``int``) and
written back with :func:`js_number`, which follows ECMAScript ``Number::toString`` on the
IEEE double the number denotes (what JavaScript would hold after parsing it).

Verification tries the raw body first (NOWPayments is reported to send keys already sorted),
then the canonical form; both comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any


def parse_body(raw: bytes | str) -> Any:
    """Parse JSON keeping exact numbers: floats as ``Decimal``, integers as ``int``."""
    return json.loads(raw, parse_float=Decimal, parse_int=int)


def js_number(value: int | Decimal | float) -> str:
    """Format a number exactly as JavaScript's ``String(number)`` would."""
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return "null"  # JSON.stringify writes non-finite numbers as null
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    # repr() gives the shortest digits that round-trip, as ECMAScript requires.
    _, digit_tuple, exponent = Decimal(repr(abs(number))).normalize().as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(str(d) for d in digit_tuple)
    k = len(digits)
    n = k + exponent  # value = 0.digits * 10**n
    if k <= n <= 21:
        body = digits + "0" * (n - k)
    elif 0 < n <= 21:
        body = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        mantissa = digits if k == 1 else digits[0] + "." + digits[1:]
        body = f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"
    return sign + body


def js_stringify(value: Any) -> str:
    """``JSON.stringify`` with object keys sorted recursively (no spaces, non-ASCII raw)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | Decimal | float):
        return js_number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ",".join(js_stringify(item) for item in value) + "]"
    if isinstance(value, dict):
        # JavaScript's default sort compares UTF-16 code units.
        keys = sorted(value, key=lambda k: str(k).encode("utf-16-be"))
        return (
            "{"
            + ",".join(
                f"{json.dumps(str(k), ensure_ascii=False)}:{js_stringify(value[k])}" for k in keys
            )
            + "}"
        )
    raise TypeError(f"cannot serialise {type(value).__name__}")


def canonical_body(raw: bytes | str) -> bytes:
    return js_stringify(parse_body(raw)).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha512).hexdigest()


def sign_payload(secret: str, payload: Any) -> tuple[bytes, str]:
    """Serialise ``payload`` canonically and sign it (what NOWPayments, and our fake, send)."""
    body = js_stringify(payload).encode("utf-8")
    return body, sign(secret, body)


def verify(secret: str, raw: bytes, signature: str | None) -> bool:
    """True when ``signature`` signs ``raw`` as sent, or its canonical form."""
    if not secret or not signature:
        return False
    given = signature.strip().lower().encode("ascii", "replace")
    if hmac.compare_digest(sign(secret, raw).encode(), given):
        return True
    try:
        canonical = canonical_body(raw)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(sign(secret, canonical).encode(), given)
