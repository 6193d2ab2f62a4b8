"""Transaction hashes, spelled one way per network, so that "one transaction hash pays one
order" cannot be bypassed by writing the same hash differently.

``"0X"+h``, ``"0X"+h.upper()``, ``h+"\\u200b"`` (a zero-width space), a soft hyphen inside
``h`` and ``"0\\uff58"+h`` (a fullwidth x) were each accepted as new claims, and looked
identical to the original in the review queue. Now:

- any character outside the network's alphabet is refused with a 400 that names it (the
  code point and its Unicode name), so invisible and look-alike characters never reach the
  database;
- hexadecimal hashes (Bitcoin and its forks, the EVM chains, Tron, XRP, Cardano...) lose an
  optional ``0x``/``0X`` prefix and are lower-cased: they are case-insensitive;
- Base58 hashes (Solana) are case-sensitive and kept as typed;
- on a network not listed, a hash made only of hex digits is treated as hex; otherwise it may
  hold ASCII letters and digits, kept as typed.
"""

from __future__ import annotations

import re
import unicodedata

from caicaini.errors import InvalidInput

HEX_NETWORKS = frozenset(
    {
        "bitcoin", "btc", "litecoin", "ltc", "dogecoin", "doge", "bch", "bitcoincash", "dash",
        "ethereum", "eth", "erc20", "bsc", "bep20", "bnb", "polygon", "matic", "arbitrum",
        "arb", "optimism", "op", "base", "avax", "avaxc", "avalanche", "tron", "trx", "trc20",
        "xrp", "ripple", "cardano", "ada", "ton", "zksync", "linea", "fantom", "ftm",
    }
)  # fmt: skip
BASE58_NETWORKS = frozenset({"solana", "sol", "spl"})
MIN_LENGTH, MAX_LENGTH = 8, 200

_HEX = re.compile(r"[0-9a-f]+")
_BASE58 = re.compile(r"[1-9A-HJ-NP-Za-km-z]+")
_ALNUM = re.compile(r"[0-9A-Za-z]+")
_ALPHABETS = {
    "hex": (_HEX, "hexadecimal digits (0-9, a-f), with an optional 0x"),
    "base58": (_BASE58, "Base58 characters (letters and digits except 0, O, I and l)"),
    "ascii": (_ALNUM, "ASCII letters and digits"),
}


def alphabet_of(network: str | None) -> str:
    name = (network or "").strip().lower()
    if name in HEX_NETWORKS:
        return "hex"
    if name in BASE58_NETWORKS:
        return "base58"
    return "ascii"


def normalise_tx_hash(value: str, network: str | None = None) -> str:
    """The one spelling of a transaction hash on ``network`` (None: any network), or
    ``InvalidInput`` naming what is wrong."""
    tx = value.strip()
    alphabet = alphabet_of(network)
    pattern, described = _ALPHABETS[alphabet]
    if alphabet != "base58":
        tx = tx[2:] if tx[:2] in ("0x", "0X") else tx
        if _HEX.fullmatch(tx.lower()):
            tx, alphabet, pattern = tx.lower(), "hex", _HEX
    on = f" on {network}" if network else ""
    for index, char in enumerate(tx):
        if not pattern.fullmatch(char):
            raise InvalidInput(
                f"a transaction hash{on} holds only {described}; character {index + 1} is "
                f"{_describe(char)}",
                field="tx_hash",
            )
    if not MIN_LENGTH <= len(tx) <= MAX_LENGTH:
        raise InvalidInput(
            f"a transaction hash is {MIN_LENGTH} to {MAX_LENGTH} characters long", field="tx_hash"
        )
    return tx


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return (
        f"U+{ord(char):04X}"
        + (f" {name}" if name else "")
        + (f" ({char!r})" if char.isprintable() and not char.isspace() else "")
    )
