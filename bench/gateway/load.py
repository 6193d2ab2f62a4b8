"""Load generators (bounded loops, loopback only): sequential latency, throughput at a fixed
concurrency, streaming time to first byte, and many concurrent open streams."""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class Target:
    """One endpoint to load: where, what to send, how to authenticate."""

    name: str
    url: str
    body: dict[str, Any]
    headers: dict[str, str]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(samples, 50) * 1000, 3),
        "p99_ms": round(percentile(samples, 99) * 1000, 3),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3),
        "n": len(samples),
    }


def client(connections: int = 64) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(timeout=120, limits=limits, trust_env=False)


async def _one(http: httpx.AsyncClient, target: Target) -> None:
    r = await http.post(target.url, json=target.body, headers=target.headers)
    if r.status_code != 200:
        raise RuntimeError(f"{target.name}: HTTP {r.status_code}: {r.text[:300]}")


WARMUP = 50


async def latencies(target: Target, n: int, warmup: int = WARMUP) -> list[float]:
    """Sequential requests (concurrency 1); seconds per request."""
    samples = []
    async with client(4) as http:
        for _ in range(warmup):
            await _one(http, target)
        for _ in range(n):
            started = time.perf_counter()
            await _one(http, target)
            samples.append(time.perf_counter() - started)
    return samples


async def alternating(
    targets: list[Target], rounds: int, block: int, cpu: Callable[[], float]
) -> list[dict[str, Any]]:
    """Sequential requests (concurrency 1) in blocks of ``block`` to each target in turn,
    ``rounds`` times: whatever else loads the machine meanwhile weighs on every target alike.
    Per target: the latencies and the server's CPU per request (``cpu()``: its CPU seconds)."""
    out: list[dict[str, Any]] = [{"samples": [], "cpu": 0.0} for _ in targets]
    async with client(4) as http:
        for target in targets:
            for _ in range(WARMUP):
                await _one(http, target)
        for _ in range(rounds):
            for target, row in zip(targets, out, strict=True):
                before = cpu()
                for _ in range(block):
                    started = time.perf_counter()
                    await _one(http, target)
                    row["samples"].append(time.perf_counter() - started)
                row["cpu"] += cpu() - before
    for row in out:
        row["cpu_ms"] = round(row.pop("cpu") / len(row["samples"]) * 1000, 3)
    return out


async def throughput(target: Target, total: int, concurrency: int) -> dict[str, float]:
    """``total`` requests by ``concurrency`` workers; requests per second and errors."""
    remaining = total
    errors = 0

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            try:
                await _one(http, target)
            except (RuntimeError, httpx.HTTPError):
                errors += 1

    async with client(concurrency * 2) as http:
        for _ in range(concurrency):  # warm the pool
            await _one(http, target)
        started = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"rps": round(total / elapsed, 1), "errors": errors, "requests": total,
            "concurrency": concurrency, "seconds": round(elapsed, 2)}  # fmt: skip


def wrk_throughput(
    wrk: str, targets: list[Target], seconds: int, concurrency: int, warm: Target | None = None
) -> dict[str, Any]:
    """Requests per second from ``wrk`` (C, one thread, ``concurrency`` keep-alive
    connections) over ``seconds``: the load generator stays off the CPU the servers need.
    The requests go to ``targets`` in turn (one URL and body, each its own headers: several
    accounts share the run). A one-second warm-up (on ``warm``, else the first) goes first."""

    def run(batch: list[Target], duration: int) -> str:
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
            lua.write(_wrk_script(batch))
            lua.flush()
            argv = [wrk, "-t1", f"-c{concurrency}", f"-d{duration}s", "--timeout", "10s",
                    "-s", lua.name, batch[0].url]  # fmt: skip
            return subprocess.run(argv, capture_output=True, text=True, check=True).stdout

    run([warm or targets[0]], 1)  # warm-up: connections open, caches warm
    out = run(targets, seconds)
    total = int(_field(r"(\d+) requests in", out))
    failed = int(_field(r"Non-2xx or 3xx responses: (\d+)", out, "0"))
    socket_errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return {"rps": round(float(_field(r"Requests/sec:\s+([\d.]+)", out)), 1),
            "errors": failed + socket_errors, "requests": total, "concurrency": concurrency,
            "seconds": seconds, "tool": "wrk"}  # fmt: skip


def _wrk_script(targets: list[Target]) -> str:
    """A wrk script that sends the targets' requests in turn, each built once, in ``init``
    (by then wrk knows the ``Host`` header ``wrk.format`` adds)."""
    lines = ["local requests = {}", "local i = 0", "function init(args)"]
    for t in targets:
        headers = {"content-type": "application/json", **t.headers}
        table = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
        body = json.dumps(json.dumps(t.body))
        lines.append(f'  requests[#requests + 1] = wrk.format("POST", nil, {{{table}}}, {body})')
    lines += ["end", "function request()", "  i = i % #requests + 1", "  return requests[i]",
              "end"]  # fmt: skip
    return "\n".join(lines) + "\n"


def _field(pattern: str, text: str, default: str | None = None) -> str:
    found = re.search(pattern, text)
    if found is None:
        if default is None:
            raise RuntimeError(f"unexpected wrk output: {text[:500]}")
        return default
    return found.group(1)


async def ttfb(target: Target, n: int, warmup: int = 20) -> list[float]:
    """Streaming requests one at a time: seconds until the first body bytes arrive."""
    samples = []
    async with client(4) as http:
        for i in range(warmup + n):
            started = time.perf_counter()
            async with http.stream(
                "POST", target.url, json=target.body, headers=target.headers
            ) as r:
                if r.status_code != 200:
                    raise RuntimeError(f"{target.name}: HTTP {r.status_code}")
                chunks = r.aiter_raw()
                await anext(chunks)
                if i >= warmup:
                    samples.append(time.perf_counter() - started)
                async for _rest in chunks:
                    pass
    return samples


async def open_streams(target: Target, n: int, rss_kib: Callable[[], int]) -> dict[str, Any]:
    """``n`` slow streams open at once; peak resident memory of the server while they run."""
    errors = 0
    completed = 0
    reasons: dict[str, int] = {}  # what went wrong, by kind
    idle = rss_kib()
    peak = idle
    done = asyncio.Event()

    async def one(http: httpx.AsyncClient) -> None:
        nonlocal errors, completed
        try:
            async with http.stream(
                "POST", target.url, json=target.body, headers=target.headers
            ) as r:
                if r.status_code != 200:
                    errors += 1
                    reason = f"HTTP {r.status_code}"
                    reasons[reason] = reasons.get(reason, 0) + 1
                    return
                async for _chunk in r.aiter_raw():
                    pass
                completed += 1
        except httpx.HTTPError as exc:
            errors += 1
            reason = f"{type(exc).__name__}: {exc}"[:120]
            reasons[reason] = reasons.get(reason, 0) + 1

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kib())
            await asyncio.sleep(0.2)

    started = time.perf_counter()
    async with client(n + 10) as http:
        sampler = asyncio.create_task(sample())
        await asyncio.gather(*(one(http) for _ in range(n)))
        done.set()
        await sampler
    return {"streams": n, "completed": completed, "errors": errors, "error_kinds": reasons,
            "rss_idle_mib": round(idle / 1024, 1), "rss_peak_mib": round(peak / 1024, 1),
            "seconds": round(time.perf_counter() - started, 2)}  # fmt: skip
