"""The one SSE decoder: framing rules that real streams exercise."""

from __future__ import annotations

import json

from caicaini.kit.sse import DONE, ServerSentEvent, SSEDecoder, aiter_sse, encode_data, encode_event


def decode_all(data: bytes, step: int) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    out: list[ServerSentEvent] = []
    for i in range(0, len(data), step):
        out.extend(decoder.feed(data[i : i + step]))
    return out + decoder.flush()


def test_named_events_round_trip_whatever_the_chunking() -> None:
    raw = (
        encode_event("message_start", {"type": "message_start", "text": "héllo ☃"})
        + encode_event("ping", {"type": "ping"})
        + encode_data({"n": 1})
        + DONE
    )
    for step in (1, 2, 3, 7, len(raw)):
        events = decode_all(raw, step)
        assert [e.event for e in events] == ["message_start", "ping", None, None]
        assert events[0].json()["text"] == "héllo ☃"
        assert events[3].data == "[DONE]"


def test_crlf_and_cr_line_ends_split_across_chunks() -> None:
    raw = b"event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\r"
    for step in (1, 2, 5):
        assert [(e.event, e.data) for e in decode_all(raw, step)] == [("a", "1"), ("b", "2")]


def test_comments_multiline_data_id_retry_and_no_space() -> None:
    raw = b": keep-alive\n\nid: 7\nretry: 300\ndata:first\ndata: second\n\nevent: only-name\n\n"
    events = decode_all(raw, 4)
    assert len(events) == 1  # a block without data is not dispatched
    assert events[0].data == "first\nsecond"
    assert (events[0].id, events[0].retry) == ("7", 300)


def test_final_block_without_blank_line_is_flushed() -> None:
    assert [e.data for e in decode_all(b'data: {"a":1}', 3)] == ['{"a":1}']


def test_encode_is_compact_and_keeps_non_ascii() -> None:
    assert encode_event("x", {"a": "é"}) == 'event: x\ndata: {"a":"é"}\n\n'.encode()
    assert json.loads(encode_data({"b": [1, 2]})[6:]) == {"b": [1, 2]}


async def test_aiter_sse_over_an_async_byte_iterator() -> None:
    async def chunks():
        yield b"data: 1\n"
        yield b"\ndata: 2\n\n"

    assert [e.data async for e in aiter_sse(chunks())] == ["1", "2"]
