"""``python -m bench.gateway``: the gateway's overhead against the fake upstream, side by side
with LiteLLM's proxy, written to ``bench/RESULTS.md``.

Every process runs on 127.0.0.1 on this machine: the fake upstream (zero latency), the
gateway (``caicaini serve``, SQLite, then PostgreSQL on a scratch database; full metering:
key check, rate limits, hold, settle, usage record and signed receipt per message) and
LiteLLM's proxy (its own virtualenv).
Loops are bounded; nothing leaves the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.gateway import load, procs
from bench.gateway.load import Target, summary_ms
from bench.gateway.report import write_results

MODEL = "claude-sonnet-4-5"
N_LATENCY = int(os.environ.get("BENCH_N_LATENCY", "1000"))
N_THROUGHPUT = int(os.environ.get("BENCH_N_THROUGHPUT", "3000"))  # without wrk
THROUGHPUT_SECONDS = int(os.environ.get("BENCH_THROUGHPUT_SECONDS", "8"))  # with wrk
N_TTFB = int(os.environ.get("BENCH_N_TTFB", "200"))
N_STREAMS = int(os.environ.get("BENCH_N_STREAMS", "1000"))
COMPARE_ROUNDS = 10  # the Responses API against Chat Completions: blocks in turn
CONCURRENCY = 32
# Sequential phases on three accounts (one per gateway endpoint); each throughput run rotates
# over LOAD_ACCOUNTS more, its warm-up on one more: the plan's 10,000 messages a day bound what
# one account may send, and a fast gateway sends more than that in a run.
GATEWAY_ENDPOINTS = ("gateway_anthropic", "gateway_openai", "gateway_responses")
LOAD_ACCOUNTS = 4
ACCOUNTS = len(GATEWAY_ENDPOINTS) * (LOAD_ACCOUNTS + 2)

LITELLM_NOTES = [
    f"`{procs.LITELLM_PIN}` in `bench/.venvs/litellm`, started as `litellm --config ... "
    "--num_workers 1` (one process, like the gateway), model `anthropic/claude-sonnet-4-5` "
    "with `api_base` set to the fake upstream, authenticated with its master key.",
    "The `[proxy]` extra of this release depends on a `litellm-proxy` package that the local "
    "package mirror does not carry; the proxy ships inside `litellm`, so its runtime "
    "dependencies are installed by hand (`bench/gateway/procs.py`).",
    "Virtual keys and spend tracking need LiteLLM's database (Prisma), whose engine binaries "
    "are downloaded from binaries.prisma.sh at set-up; this machine reaches package registries "
    "only, so LiteLLM runs with the master key and no per-request spend writes. That favours "
    "LiteLLM: the gateway's figures include a ledger hold, a settlement, a usage record and a "
    "signed receipt per message.",
]


def messages(text: str = "hello benchmark", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": text}],
            **extra}  # fmt: skip


def chat(text: str = "hello benchmark", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": text}],
            **extra}  # fmt: skip


def responses(text: str = "hello benchmark", **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_output_tokens": 256, "input": text, **extra}


SLOW = "[fake output-tokens=20 tokens-per-second=4] hello"


def targets(
    fake: procs.Proc, gw: procs.Proc, keys: list[str], lite: procs.Proc | None
) -> dict[str, Target]:
    key, openai_key, responses_key = keys[: len(GATEWAY_ENDPOINTS)]
    anthropic = {"anthropic-version": "2023-06-01"}
    out = {
        "direct_anthropic": Target("fake /v1/messages", fake.url + "/v1/messages", messages(),
                                   anthropic),
        "direct_openai": Target("fake /v1/chat/completions", fake.url + "/v1/chat/completions",
                                chat(), {}),
        "gateway_anthropic": Target("gateway /v1/messages", gw.url + "/v1/messages", messages(),
                                    {**anthropic, "x-api-key": key}),
        "gateway_openai": Target("gateway /v1/chat/completions", gw.url + "/v1/chat/completions",
                                 chat(), {"authorization": f"Bearer {openai_key}"}),
        "gateway_responses": Target("gateway /v1/responses", gw.url + "/v1/responses",
                                    responses(), {"authorization": f"Bearer {responses_key}"}),
    }  # fmt: skip
    if lite is not None:
        out["litellm_openai"] = Target(
            "LiteLLM /v1/chat/completions",
            lite.url + "/v1/chat/completions",
            chat(),
            {"authorization": f"Bearer {procs.LITELLM_MASTER_KEY}"},
        )
    return out


def rekeyed(target: Target, key: str) -> Target:
    """The same target on another account (its own messages per day)."""
    headers = {
        name: (f"Bearer {key}" if name == "authorization" else key)
        if name in ("x-api-key", "authorization")
        else value
        for name, value in target.headers.items()
    }
    return Target(target.name, target.url, target.body, headers)


def streaming(target: Target, text: str = "hello stream") -> Target:
    if "input" in target.body:  # the Responses API
        body = dict(target.body, stream=True, input=text)
    else:
        body = dict(target.body, stream=True, messages=[{"role": "user", "content": text}])
    return Target(target.name + " (stream)", target.url, body, target.headers)


async def throughput(
    targets: list[Target], total: int, warm: Target | None = None
) -> dict[str, Any]:
    """At concurrency 32: by ``wrk`` for a fixed time when it is there (a C load generator
    leaves the two cores to the servers), else by the httpx load generator. ``targets``: one
    endpoint on one or more accounts, loaded in turn; ``warm``: the warm-up's target."""
    wrk = procs.wrk()
    if wrk is not None:
        return await asyncio.to_thread(
            load.wrk_throughput, wrk, targets, THROUGHPUT_SECONDS, CONCURRENCY, warm
        )
    return {**await load.throughput(targets[0], total, CONCURRENCY), "tool": "httpx"}


def load_targets(t: dict[str, Target], keys: list[str]) -> dict[str, tuple[list[Target], Target]]:
    """Each throughput run's targets and warm-up: the gateway's on accounts of their own
    (the keys after the sequential phases' ones), the others as they are."""
    out = {name: ([target], target) for name, target in t.items()}
    spare = iter(keys[len(GATEWAY_ENDPOINTS) :])
    for name in GATEWAY_ENDPOINTS:
        if name in t:
            rotation = [rekeyed(t[name], next(spare)) for _ in range(LOAD_ACCOUNTS)]
            out[name] = (rotation, rekeyed(t[name], next(spare)))
    return out


async def measure(
    t: dict[str, Target], keys: list[str], gw: procs.Proc, lite: procs.Proc | None
) -> dict[str, Any]:
    results: dict[str, Any] = {"latency": {}, "throughput": {}, "ttfb": {}, "streams": {}}
    loads = load_targets(t, keys)
    for name, target in t.items():
        n = N_LATENCY if not name.startswith("litellm") else max(200, N_LATENCY // 2)
        print(f"latency c=1: {target.name} x{n}", flush=True)
        results["latency"][name] = summary_ms(await load.latencies(target, n))
    results["responses"] = await compare_responses(t, gw)
    for name in ("direct_anthropic", *GATEWAY_ENDPOINTS, "litellm_openai"):
        if name in t:
            total = N_THROUGHPUT if not name.startswith("litellm") else max(300, N_THROUGHPUT // 3)
            print(f"throughput c={CONCURRENCY}: {t[name].name} x{total}", flush=True)
            rotation, warm = loads[name]
            results["throughput"][name] = await throughput(rotation, total, warm)
    for name in ("direct_anthropic", *GATEWAY_ENDPOINTS, "litellm_openai"):
        if name in t:
            print(f"ttfb: {t[name].name} x{N_TTFB}", flush=True)
            results["ttfb"][name] = summary_ms(await load.ttfb(streaming(t[name]), N_TTFB))
    for name, proc in (("gateway_anthropic", gw), ("litellm_openai", lite)):
        if name in t and proc is not None:
            print(f"{N_STREAMS} open streams: {t[name].name}", flush=True)
            results["streams"][name] = await load.open_streams(
                streaming(t[name], SLOW), N_STREAMS, proc.rss_kib
            )
    return results


async def compare_responses(t: dict[str, Target], gw: procs.Proc) -> dict[str, Any]:
    """The Responses API against Chat Completions in the same minutes: blocks of requests to
    the direct upstream and to both endpoints in turn (ABCABC...), with the gateway's CPU
    per message from the same blocks."""
    names = ("direct_anthropic", "gateway_openai", "gateway_responses")
    rounds, block = COMPARE_ROUNDS, max(1, N_LATENCY // COMPARE_ROUNDS)
    print(f"alternating c=1: {', '.join(t[n].name for n in names)}: {rounds} x {block} each")
    rows = await load.alternating([t[n] for n in names], rounds, block, gw.cpu_seconds)
    out = {name: {**summary_ms(row["samples"]), "cpu_ms": row["cpu_ms"]}
           for name, row in zip(names, rows, strict=True)}  # fmt: skip
    out["direct_anthropic"].pop("cpu_ms")  # the gateway is idle then
    return out


async def measure_postgres(t: dict[str, Target], keys: list[str]) -> dict[str, Any]:
    """The gateway on PostgreSQL: latency, throughput and time to first byte (the direct
    calls again, for a baseline taken in the same minutes)."""
    results: dict[str, Any] = {"latency": {}, "throughput": {}, "ttfb": {}}
    loads = load_targets(t, keys)
    for name in ("direct_anthropic", *GATEWAY_ENDPOINTS):
        print(f"postgres latency c=1: {t[name].name} x{N_LATENCY}", flush=True)
        results["latency"][name] = summary_ms(await load.latencies(t[name], N_LATENCY))
    for name in GATEWAY_ENDPOINTS:
        print(f"postgres throughput c={CONCURRENCY}: {t[name].name} x{N_THROUGHPUT}", flush=True)
        rotation, warm = loads[name]
        results["throughput"][name] = await throughput(rotation, N_THROUGHPUT, warm)
    for name in ("direct_anthropic", "gateway_anthropic"):
        print(f"postgres ttfb: {t[name].name} x{N_TTFB}", flush=True)
        results["ttfb"][name] = summary_ms(await load.ttfb(streaming(t[name]), N_TTFB))
    return results


def run_postgres(root: Path, fake: procs.Proc, out: Path) -> dict[str, Any] | None:
    """The same gateway on a scratch PostgreSQL database, dropped afterwards."""
    url = procs.create_pg_database()
    if url is None:
        return None
    gw: procs.Proc | None = None
    try:
        (root / "pg").mkdir()
        keys = procs.prepare_gateway(root / "pg", fake, url, accounts=ACCOUNTS)
        gw = procs.start_gateway(root / "pg", fake, out, url, name="gateway-pg")
        return asyncio.run(measure_postgres(targets(fake, gw, keys, None), keys))
    finally:
        if gw is not None:
            gw.stop()
        procs.drop_pg_database(url)


def machine() -> dict[str, Any]:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "kernel": platform.release(), "load": round(os.getloadavg()[1], 1),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}  # fmt: skip


def main() -> None:
    out = procs.ROOT / "bench" / "out"
    if "--report-only" in sys.argv:  # re-render RESULTS.md from the last run's figures
        write_results(
            json.loads((out / "results.json").read_text()), procs.ROOT / "bench" / "RESULTS.md"
        )
        return
    load_before = round(os.getloadavg()[1], 1)  # other work on the machine, for the report
    root = Path(tempfile.mkdtemp(prefix="caicaini-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    started: list[procs.Proc] = []
    try:
        fake = procs.start_fake(out)
        started.append(fake)
        keys = procs.prepare_gateway(root, fake, accounts=ACCOUNTS)
        gw = procs.start_gateway(root, fake, out)
        started.append(gw)
        lite = procs.start_litellm(fake, out)
        if lite is not None:
            started.append(lite)
        results = asyncio.run(measure(targets(fake, gw, keys, lite), keys, gw, lite))
        for proc in (gw, lite):  # idle from here on; PostgreSQL's run has the CPUs to itself
            if proc is not None:
                proc.stop()
        results["postgres"] = run_postgres(root, fake, out)
        results["machine"] = {**machine(), "load_before": load_before}
        results["litellm"] = {"available": lite is not None, "pin": procs.LITELLM_PIN,
                              "notes": LITELLM_NOTES}  # fmt: skip
        (out / "results.json").write_text(json.dumps(results, indent=2))
        write_results(results, procs.ROOT / "bench" / "RESULTS.md")
        print((procs.ROOT / "bench" / "RESULTS.md").read_text())
    finally:
        for proc in reversed(started):
            proc.stop()
        procs.cleanup(root)


if __name__ == "__main__":
    sys.exit(main())
