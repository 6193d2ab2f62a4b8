"""Turn the measurements into ``bench/RESULTS.md``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

NAMES = {
    "direct_anthropic": "fake upstream directly, /v1/messages",
    "direct_openai": "fake upstream directly, /v1/chat/completions",
    "gateway_anthropic": "Caicaini gateway, /v1/messages",
    "gateway_openai": "Caicaini gateway, /v1/chat/completions (translated to Anthropic)",
    "litellm_openai": "LiteLLM proxy, /v1/chat/completions (to Anthropic)",
}
BASELINE = {
    "gateway_anthropic": "direct_anthropic",
    "gateway_openai": "direct_anthropic",
    "litellm_openai": "direct_anthropic",
}


# Profiled on the same machine on 2026-11-26 (phase timers around the pipeline, SQL statements
# counted with an engine event, process CPU from /proc/<pid>/stat); see the report for method.
ANALYSIS = [
    "Targets from ARCHITECTURE.md §8 / the issue: p50 overhead <= 2 ms, p99 <= 10 ms, "
    "throughput >= 10x LiteLLM's. **This run does not meet them**: the gateway is on a par "
    "with LiteLLM (which does no spend tracking here) rather than ahead of it.",
    "The cost is the metering transactions on SQLite. One message runs 19 SQL statements in "
    "two transactions (hold + mark_started: 8; settle + usage record + receipt + balance: 11), "
    "each through SQLAlchemy's ORM and aiosqlite's thread hop. Phase timers at concurrency 1: "
    "LedgerService.hold ~3.3 ms, mark_started ~0.6 ms, LedgerService.settle ~4.0 ms, balance "
    "for the `caicaini-credits-remaining` header ~1.6 ms, usage record + receipt ~0.7 ms; "
    "key check, rate limits, rate lookup and JSON handling together < 0.2 ms; the upstream "
    "call through the pooled httpx client ~0.7 ms over a direct call.",
    "The gateway process spends ~14 ms of CPU per message (measured over 1,000 messages at "
    "concurrency 32), almost all of it in the ORM and driver layers of those statements, and "
    "SQLite admits one writer at a time, so throughput tops out near 1 / (time a message holds "
    "the write lock).",
    "What would move the figures (not done in this change): ledger hold/settle as a few Core "
    "statements instead of ORM unit-of-work flushes, the balance returned by settle instead of "
    "a separate query, and PostgreSQL (no single writer; asyncpg has no thread hop) for "
    "production. The streaming paths already skip the balance query.",
]


def _overhead(rows: dict[str, Any], name: str, field: str) -> str:
    base = BASELINE.get(name)
    if base is None or base not in rows:
        return "—"
    return f"{rows[name][field] - rows[base][field]:+.2f}"


def _postgres(pg: dict[str, Any] | None) -> list[str]:
    lines = ["", "## The gateway on PostgreSQL", ""]
    if not pg:
        return [*lines, "PostgreSQL was not reachable in this run: no figures."]
    lines += ["Same machine and load, the gateway on a scratch PostgreSQL 15 database "
              "(127.0.0.1, created for the run and dropped after it; default server settings, "
              "so every commit is flushed to disk). The direct calls were measured again in the "
              "same minutes as the baseline.", "",
              "| target | p50 ms | p99 ms | p50 overhead ms | p99 overhead ms | n |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    lat = pg["latency"]
    for name, row in lat.items():
        lines.append(
            f"| {NAMES.get(name, name)} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{_overhead(lat, name, 'p50_ms')} | {_overhead(lat, name, 'p99_ms')} | {row['n']} |"
        )
    lines += ["", "| throughput at concurrency 32 | requests/s | requests | errors |",
              "| --- | ---: | ---: | ---: |"]  # fmt: skip
    for name, row in pg["throughput"].items():
        lines.append(f"| {NAMES.get(name, name)} | {row['rps']:.0f} | {row['requests']} | "
                     f"{row['errors']} |")  # fmt: skip
    lines += ["", "| streaming time to first byte | p50 ms | p99 ms | p50 overhead ms | "
              "p99 overhead ms |", "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    ttfb = pg["ttfb"]
    for name, row in ttfb.items():
        lines.append(
            f"| {NAMES.get(name, name)} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{_overhead(ttfb, name, 'p50_ms')} | {_overhead(ttfb, name, 'p99_ms')} |"
        )
    return lines


def write_results(results: dict[str, Any], path: Path) -> None:
    m = results["machine"]
    lines = [
        "# Gateway benchmark results",
        "",
        "Produced by `make bench` (`python -m bench.gateway`); rerun to refresh.",
        "",
        f"- Date: {m['date']}",
        f"- Machine: {m['nproc']} CPUs, {m['cpu']}, Linux {m['kernel']}, Python {m['python']}",
        "- Setup: every process on 127.0.0.1 of this machine: the fake upstream (`caicaini",
        "  fake-upstream`, zero latency) in its own process, the gateway (`caicaini serve`, one",
        "  process, SQLite, full metering: key check, rate limits, hold, settle, usage record and",
        "  signed receipt per message) in its own process, LiteLLM's proxy in its own virtualenv",
        "  and process; the load generator (httpx) is a fourth process. Both gateways call the",
        "  same fake Anthropic endpoint. Overhead = gateway minus calling the fake directly.",
        "  The tables up to the open streams are the gateway on SQLite (the embedded default);",
        "  a second gateway process on PostgreSQL is measured after it (its own section).",
        "",
        "## Latency at concurrency 1 (non-streaming)",
        "",
        "| target | p50 ms | p99 ms | p50 overhead ms | p99 overhead ms | n |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    lat = results["latency"]
    for name, row in lat.items():
        lines.append(
            f"| {NAMES.get(name, name)} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{_overhead(lat, name, 'p50_ms')} | {_overhead(lat, name, 'p99_ms')} | {row['n']} |"
        )
    lines += ["", "## Throughput at concurrency 32 (non-streaming)", "",
              "| target | requests/s | requests | errors |",
              "| --- | ---: | ---: | ---: |"]  # fmt: skip
    thr = results["throughput"]
    for name, row in thr.items():
        lines.append(f"| {NAMES.get(name, name)} | {row['rps']:.0f} | {row['requests']} | "
                     f"{row['errors']} |")  # fmt: skip
    if "gateway_openai" in thr and "litellm_openai" in thr:
        ratio = thr["gateway_openai"]["rps"] / max(thr["litellm_openai"]["rps"], 0.001)
        lines += ["", f"Same endpoint and upstream (OpenAI format in, Anthropic out): the gateway "
                      f"serves **{ratio:.1f} times** LiteLLM's throughput."]  # fmt: skip
    lines += ["", "## Streaming time to first byte (concurrency 1)", "",
              "| target | p50 ms | p99 ms | p50 overhead ms | p99 overhead ms |",
              "| --- | ---: | ---: | ---: | ---: |"]  # fmt: skip
    ttfb = results["ttfb"]
    for name, row in ttfb.items():
        lines.append(
            f"| {NAMES.get(name, name)} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{_overhead(ttfb, name, 'p50_ms')} | {_overhead(ttfb, name, 'p99_ms')} |"
        )
    lines += ["", "## 1,000 concurrent open streams", "",
              "Each stream: 20 output tokens paced at 4 tokens/s (about 5 s open).", "",
              "| target | completed | errors | RSS idle MiB | RSS peak MiB | seconds |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, row in results["streams"].items():
        lines.append(
            f"| {NAMES.get(name, name)} | {row['completed']} | {row['errors']} | "
            f"{row['rss_idle_mib']} | {row['rss_peak_mib']} | {row['seconds']} |"
        )
    lines += _postgres(results.get("postgres"))
    lines += ["", "## Where the gateway's time goes"]
    for paragraph in ANALYSIS:
        lines += ["", paragraph]
    lite = results.get("litellm", {})
    lines += ["", "## LiteLLM configuration", ""]
    lines += [f"- {note}" for note in lite.get("notes", [])]
    if not lite.get("available"):
        lines.append("- LiteLLM could not be started in this run: no comparison figures.")
    path.write_text("\n".join(lines) + "\n")
