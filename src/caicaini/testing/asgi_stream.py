"""An httpx transport that runs an ASGI app in-process and STREAMS its response.

``httpx.ASGITransport`` collects the whole body before returning, which turns a paced
stream into one late burst. This one hands each ``http.response.body`` message to the reader
as it is sent, honours the read timeout, and tells the app the client left when the
response is closed early (so a cancelled stream stops the app's work).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

import httpx

Message = MutableMapping[str, Any]
_END: Message = {"type": "_end"}


class StreamingASGITransport(httpx.AsyncBaseTransport):
    def __init__(self, app: Any, *, client: tuple[str, int] = ("127.0.0.1", 123)) -> None:
        self.app = app
        self.client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = b"".join([part async for part in request.stream])  # type: ignore[union-attr]
        timeout = (request.extensions.get("timeout") or {}).get("read")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query,
            "server": (request.url.host, request.url.port),
            "client": self.client,
            "root_path": "",
        }
        queue: asyncio.Queue[Message] = asyncio.Queue()
        gone = asyncio.Event()
        body_sent = False

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            queue.put_nowait(message)

        async def run() -> None:
            try:
                await self.app(scope, receive, send)
            except Exception as exc:
                queue.put_nowait({"type": "_error", "error": exc})
            finally:
                queue.put_nowait(_END)

        task = asyncio.create_task(run())

        async def next_message() -> Message:
            try:
                return await asyncio.wait_for(queue.get(), timeout)
            except TimeoutError:
                raise httpx.ReadTimeout("in-process upstream timed out", request=request) from None

        async def close() -> None:
            gone.set()
            if not task.done():
                task.cancel()
            await asyncio.gather(task, return_exceptions=True)

        try:
            start = await next_message()
        except BaseException:
            await close()
            raise
        if start["type"] != "http.response.start":
            await close()
            raise httpx.RemoteProtocolError("in-process upstream failed", request=request)
        return httpx.Response(
            start["status"],
            headers=start.get("headers", []),
            stream=_Body(next_message, close),
            request=request,
        )


class _Body(httpx.AsyncByteStream):
    def __init__(self, next_message: Any, close: Any) -> None:
        self._next = next_message
        self._close = close

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while True:
            message = await self._next()
            if message["type"] == "http.response.body":
                if message.get("body"):
                    yield message["body"]
                if not message.get("more_body"):
                    return
            elif message["type"] == "_error":
                raise httpx.RemoteProtocolError("in-process upstream failed")
            elif message is _END:
                return

    async def aclose(self) -> None:
        await self._close()
