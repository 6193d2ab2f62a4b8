"""The IPN signature: the wire-formats.md §5 test vector, tampering, and JavaScript numbers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from caicaini.payments.signature import (
    canonical_body,
    js_number,
    js_stringify,
    sign,
    sign_payload,
    verify,
)

SECRET = "test_ipn_secret"
VECTOR = (
    '{"payment_id":5077125051,"parent_payment_id":null,"invoice_id":4522625843,'
    '"payment_status":"finished","pay_address":"TNDFkiSmBQorNFacb3735q8MnT29sn8BLn",'
    '"payin_extra_id":null,"price_amount":5,"price_currency":"usd","pay_amount":0.00005,'
    '"actually_paid":1e-7,"actually_paid_at_fiat":0,"pay_currency":"btc",'
    '"order_id":"topup/42 ünïcode","order_description":"Credits €5","purchase_id":"4944856743",'
    '"outcome_amount":14.8106,"outcome_currency":"trx","payment_extra_ids":null,'
    '"fee":{"depositFee":0.09853637216235617,"withdrawalFee":0,"serviceFee":0,"currency":"btc"},'
    '"created_at":"2020-12-16T14:30:43.306Z","updated_at":"2020-12-16T14:40:46.523Z"}'
).encode()
SIGNATURE = (
    "2979641c4f376d553b149a3916ee72cb5362848f39eb56441daf7d4e5f026a95"
    "a292786dab25759330f4f9046dfef415a8c0193f197738d15e7c571734b9a710"
)


def test_the_published_vector_verifies() -> None:
    assert verify(SECRET, VECTOR, SIGNATURE)
    assert verify(SECRET, VECTOR, SIGNATURE.upper())


@pytest.mark.parametrize("position", [0, 20, len(VECTOR) // 2, len(VECTOR) - 2])
def test_a_one_byte_tamper_fails(position: int) -> None:
    tampered = bytearray(VECTOR)
    tampered[position] = ord("1") if tampered[position] != ord("1") else ord("2")
    assert not verify(SECRET, bytes(tampered), SIGNATURE)


def test_a_changed_amount_fails() -> None:
    assert not verify(SECRET, VECTOR.replace(b"0.00005", b"0.00006"), SIGNATURE)


def test_wrong_secret_missing_or_garbled_signature_fail() -> None:
    assert not verify("other", VECTOR, SIGNATURE)
    assert not verify(SECRET, VECTOR, None)
    assert not verify(SECRET, VECTOR, "")
    assert not verify("", VECTOR, SIGNATURE)
    assert not verify(SECRET, VECTOR, SIGNATURE[:-1] + "ü")
    assert not verify(SECRET, b"not json", SIGNATURE)


def test_canonical_form_sorts_nested_keys_and_writes_js_numbers() -> None:
    text = canonical_body(VECTOR).decode()
    assert text.startswith('{"actually_paid":1e-7,"actually_paid_at_fiat":0,')
    assert (
        '"fee":{"currency":"btc","depositFee":0.09853637216235617,"serviceFee":0,"withdrawalFee":0}'
        in text
    )
    assert '"pay_amount":0.00005' in text and '"outcome_amount":14.8106' in text
    assert '"order_id":"topup/42 ünïcode"' in text and "€" in text
    assert " " not in text.replace("topup/42 ünïcode", "").replace("Credits €5", "")


def test_a_body_sent_already_canonical_verifies_on_the_raw_bytes() -> None:
    body, signature = sign_payload(SECRET, {"b": [1, {"z": None, "a": True}], "a": "x/y"})
    assert body == b'{"a":"x/y","b":[1,{"a":true,"z":null}]}'
    assert signature == sign(SECRET, body)
    assert verify(SECRET, body, signature)


@pytest.mark.parametrize(
    ("text", "js"),
    [
        ("0.00005", "0.00005"),
        ("1e-7", "1e-7"),
        ("0.000001", "0.000001"),
        ("14.8106", "14.8106"),
        ("0.09853637216235617", "0.09853637216235617"),
        ("5", "5"),
        ("5.0", "5"),
        ("-0.0", "0"),
        ("1e21", "1e+21"),
        ("123456789012345678901", "123456789012345680000"),
        ("1.5e300", "1.5e+300"),
        ("-2.5e-9", "-2.5e-9"),
        ("0.1", "0.1"),
        ("100", "100"),
    ],
)
def test_numbers_are_written_as_javascript_writes_them(text: str, js: str) -> None:
    value = Decimal(text) if any(c in text for c in ".e") else int(text)
    assert js_number(value) == js


def test_strings_escape_like_json_stringify() -> None:
    assert js_stringify('a"b\\c\n\u0001/€') == '"a\\"b\\\\c\\n\\u0001/€"'
