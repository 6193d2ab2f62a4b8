"""Bursts on the production shape: ``caicaini serve --workers N`` (2 and 4) on PostgreSQL and
Redis, each hit by 200 and then 500 ``POST /v1/messages`` at once (paying keys, with half as
many keyless or made-up-key requests mixed in). Records statuses, 5xx, latencies, the peak
of PostgreSQL connections held and whether the money is exact, into bench/burst/RESULTS.md.

    python -m bench.burst            # needs PostgreSQL and Redis on 127.0.0.1
"""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.engine.url import make_url

from bench.gateway import procs
from caicaini.testing.burst import BurstResult, burst
from caicaini.testing.server_process import ServerProcess

HERE = Path(__file__).parent
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
POOL = 10
ACCOUNTS = 10


@dataclass
class Row:
    workers: int
    paid: int
    keyless: int
    result: BurstResult
    peak_connections: int
    exact: bool


async def peak_connections(database: str, stop: asyncio.Event) -> int:
    conn = await asyncpg.connect(procs.PG_ADMIN_URL)
    peak = 0
    try:
        while not stop.is_set():
            count = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
            peak = max(peak, int(count))
            await asyncio.sleep(0.05)
    finally:
        await conn.close()
    return peak


async def measured_burst(url: str, keys: list[str], database: str, paid: int) -> tuple:
    stop = asyncio.Event()
    sampler = asyncio.create_task(peak_connections(database, stop))
    result = await burst(url, keys, paid=paid, keyless=paid // 2)
    stop.set()
    return result, await sampler


async def books_exact(database_url: str, result: BurstResult, keys: list[str]) -> bool:
    """Each key's charges in the response headers equal its usage records and its balance's
    fall; and the ledger verifies."""
    from caicaini.api_keys.keyformat import key_hash

    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn)
    try:
        for key in keys:
            used = await conn.fetchval(
                "SELECT coalesce(sum(u.credits_charged), 0) FROM usage_records u"
                " JOIN api_keys k ON k.id = u.key_id WHERE k.key_hash = $1",
                key_hash(key),
            )
            if int(used) != result.charged.get(key, 0):
                return False
    finally:
        await conn.close()
    return True


def ledger_verifies(env: dict[str, str]) -> bool:
    caicaini = str(Path(sys.executable).parent / "caicaini")
    done = subprocess.run([caicaini, "ledger", "verify"], env=env, capture_output=True)
    return done.returncode == 0


def run(out: Path) -> list[Row]:
    database_url = procs.create_pg_database()
    if database_url is None:
        raise SystemExit("PostgreSQL is needed for the burst benchmark")
    fake = procs.start_fake(out)
    rows: list[Row] = []
    try:
        env = procs.gateway_env(out, fake, database_url)
        env.update({"CAICAINI_REDIS_URL": REDIS_URL, "CAICAINI_LOG_LEVEL": "WARNING"})
        env["CAICAINI_DATABASE_POOL_SIZE"] = str(POOL)
        database = str(make_url(database_url).database)
        keys = procs.prepare_gateway(out, fake, database_url, accounts=4 * ACCOUNTS)
        for workers in (2, 4):
            with ServerProcess(env, out / f"serve-{workers}.log", workers=workers) as server:
                for paid in (200, 500):
                    batch, keys = keys[:ACCOUNTS], keys[ACCOUNTS:]  # fresh accounts a burst
                    result, peak = asyncio.run(measured_burst(server.url, batch, database, paid))
                    exact = asyncio.run(books_exact(database_url, result, batch))
                    rows.append(Row(workers, paid, paid // 2, result, peak, exact))
                    print(f"workers={workers} paid={paid}: {dict(result.paid)}"
                          f" keyless={dict(result.keyless)} 5xx={result.server_errors}"
                          f" peak_connections={peak} exact={exact}")  # fmt: skip
                    time.sleep(2)
        if not ledger_verifies(env):
            for row in rows:
                row.exact = False
    finally:
        fake.stop()
        procs.drop_pg_database(database_url)
    return rows


def report(rows: list[Row], started: datetime, load: tuple[float, float]) -> str:
    lines = [
        "# Burst benchmark results",
        "",
        "Produced by `python -m bench.burst`; rerun to refresh.",
        "",
        f"- Date: {started:%Y-%m-%d %H:%M} UTC",
        f"- Machine: {os.cpu_count()} CPUs, {_cpu()}, Linux {platform.release()},"
        f" Python {platform.python_version()}",
        f"- Load average (1 min) before and after: {load[0]:.1f} and {load[1]:.1f}"
        " (other work shared the CPUs: latencies are not comparable with quieter runs)",
        "- Setup: `caicaini serve --workers N` on PostgreSQL (max_connections as configured on"
        f" the machine; the server's pools: {POOL} connections a worker, no overflow) and"
        " Redis, the fake upstream (`caicaini fake-upstream`, 200 ms latency a message) in its"
        " own process, the load generator (httpx, one connection a request, all released at"
        " once) in this process. Paying requests are spread over"
        f" {ACCOUNTS} accounts' keys (operator overrides lift the plan's rate limits);"
        " keyless/made-up-key requests, half as many, are mixed in.",
        "- Exact: each key's charges as the responses reported them equal its usage records,"
        " and `caicaini ledger verify` passes.",
        "",
        "| workers | paid | keyless | paid statuses | keyless statuses | 5xx | p50 s | p99 s"
        " | max s | wall s | peak PG connections | exact |",
        "| ---: | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        r = row.result
        lines.append(
            f"| {row.workers} | {row.paid} | {row.keyless} | {_statuses(r.paid)}"
            f" | {_statuses(r.keyless)} | {r.server_errors} | {r.percentile(50):.2f}"
            f" | {r.percentile(99):.2f} | {max(r.seconds):.2f} | {r.wall_seconds:.2f}"
            f" | {row.peak_connections} (≤ {row.workers * POOL}) | {'yes' if row.exact else 'NO'} |"
        )
    return "\n".join(lines) + "\n"


def _statuses(counts: object) -> str:
    return ", ".join(f"{status}: {n}" for status, n in sorted(dict(counts).items()))  # type: ignore[call-overload]


def _cpu() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main() -> None:
    started = datetime.now(UTC)
    before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        rows = run(Path(scratch))
    text = report(rows, started, (before, os.getloadavg()[0]))
    (HERE / "RESULTS.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
