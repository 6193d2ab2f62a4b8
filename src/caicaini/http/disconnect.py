"""A client that leaves stops the work done for it.

The server does not cancel a request's task when its client disconnects: it only answers
``http.disconnect`` to the next ``receive``. A handler waiting on something slow (an upstream
model that hangs before its first byte) would keep waiting, and keep what it holds (a
concurrency slot, a credit hold) for as long as upstream takes. ``while_connected`` races the
work against the client: the moment the client is gone the work is cancelled (its own
``finally`` blocks release what it held, shielded where money is involved) and
``ClientGone`` is raised, answered with an empty 499 nobody reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive

T = TypeVar("T")
CLIENT_CLOSED_REQUEST = 499  # nginx's status for it; only our logs ever see it


class ClientGone(Exception):
    """The client closed the connection before its answer was ready."""


async def while_connected(request: Request, work: Awaitable[T]) -> T:
    """``work``'s result; cancelled, and ``ClientGone`` raised, if the client leaves first.
    Call it once the body has been read (every later message is the disconnect)."""
    task = asyncio.ensure_future(work)
    watcher = asyncio.ensure_future(_disconnected(request.receive))
    try:
        await asyncio.wait((task, watcher), return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    if task.cancelled():
        raise ClientGone
    return task.result()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def client_gone_handler(request: Request, exc: Exception) -> Response:
    return Response(status_code=CLIENT_CLOSED_REQUEST)
