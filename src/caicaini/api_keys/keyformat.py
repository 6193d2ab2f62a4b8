"""The key format: ``sk-cai-`` + 40 base62 characters of randomness + a 6-character checksum.

The prefix lets secret scanners recognise a leaked key; the checksum (CRC32 of the body in
base62) lets the gateway reject a mistyped or made-up key without reading the database and lets
scanners avoid false positives. Only ``sha256(key)`` is stored: keys carry ~238 bits of
randomness, so a fast hash is safe and keeps the lookup on the hot path to one index probe.
"""

from __future__ import annotations

import hashlib
import secrets
import zlib

PREFIX = "sk-cai-"
BODY_LENGTH = 40
CHECKSUM_LENGTH = 6
KEY_LENGTH = len(PREFIX) + BODY_LENGTH + CHECKSUM_LENGTH
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ALPHABET_SET = frozenset(ALPHABET)


def _base62(value: int, width: int) -> str:
    digits = []
    while value:
        value, rem = divmod(value, 62)
        digits.append(ALPHABET[rem])
    return "".join(reversed(digits)).rjust(width, "0")


def checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LENGTH)


def generate() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return PREFIX + body + checksum(body)


def well_formed(key: str) -> bool:
    """True when ``key`` has our shape and its checksum matches (no database involved)."""
    if len(key) != KEY_LENGTH or not key.startswith(PREFIX):
        return False
    rest = key[len(PREFIX) :]
    if not _ALPHABET_SET.issuperset(rest):
        return False
    body, check = rest[:BODY_LENGTH], rest[BODY_LENGTH:]
    return secrets.compare_digest(checksum(body), check)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def hint(key: str) -> str:
    """A non-secret fragment to tell keys apart in lists: ``sk-cai-AbCd…wxyz``."""
    return f"{key[: len(PREFIX) + 4]}…{key[-4:]}"
