"""A burst: many ``POST /v1/messages`` at once from paying keys, mixed with requests carrying
no key or a made-up one, against a running gateway. Used by the burst test (``make test``)
and by ``bench/burst``, which records the figures.

Every request is sent at the same moment (a barrier), each on its own connection, and the
answer's status and time are kept; ``BurstResult`` sums them up.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

MESSAGE = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 100,
    "messages": [{"role": "user", "content": "a burst of hellos"}],
}


@dataclass
class BurstResult:
    paid: Counter[int] = field(default_factory=Counter)  # status -> count
    keyless: Counter[int] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)  # paid requests' times
    charged: dict[str, int] = field(default_factory=dict)  # key -> credits (headers)
    wall_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # transport errors, 5xx bodies

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in (self.paid + self.keyless).items() if status >= 500)

    def percentile(self, p: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def burst(
    base_url: str,
    keys: list[str],
    *,
    paid: int,
    keyless: int,
    upstream_latency_ms: int = 200,
    request_timeout: float = 120.0,
) -> BurstResult:
    """``paid`` messages spread over ``keys`` and ``keyless`` bad ones, all at once."""
    result = BurstResult()
    total = paid + keyless
    limits = httpx.Limits(max_connections=total + 10, max_keepalive_connections=0)
    start = asyncio.Event()
    async with httpx.AsyncClient(base_url=base_url, timeout=request_timeout, limits=limits) as http:

        async def one(index: int) -> None:
            headers: dict[str, str] = {
                "anthropic-version": "2023-06-01",
                "x-fake-latency-ms": str(upstream_latency_ms),
            }
            is_paid = index < paid
            if is_paid:
                headers["x-api-key"] = keys[index % len(keys)]
            elif index % 2:
                headers["x-api-key"] = "sk-cai-not-a-key"
            await start.wait()
            began = time.perf_counter()
            try:
                r = await http.post("/v1/messages", json=MESSAGE, headers=headers)
            except httpx.HTTPError as exc:
                result.errors.append(f"{type(exc).__name__}: {exc}")
                (result.paid if is_paid else result.keyless)[599] += 1
                return
            (result.paid if is_paid else result.keyless)[r.status_code] += 1
            if r.status_code >= 500:
                result.errors.append(f"{r.status_code}: {r.text[:300]}")
            if is_paid:
                result.seconds.append(time.perf_counter() - began)
                if r.status_code == 200:
                    _add_charge(result, headers["x-api-key"], r.headers)

        tasks = [asyncio.create_task(one(i)) for i in range(total)]
        await asyncio.sleep(0.2)  # every task waiting at the barrier
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        result.wall_seconds = time.perf_counter() - began
    return result


def _add_charge(result: BurstResult, key: str, headers: Any) -> None:
    result.charged[key] = result.charged.get(key, 0) + int(headers["caicaini-credits-charged"])
