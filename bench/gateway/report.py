"""Turn the measurements into ``bench/RESULTS.md``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

NAMES = {
    "direct_anthropic": "fake upstream directly, /v1/messages",
    "direct_openai": "fake upstream directly, /v1/chat/completions",
    "gateway_anthropic": "Caicaini gateway, /v1/messages",
    "gateway_openai": "Caicaini gateway, /v1/chat/completions (translated to Anthropic)",
    "gateway_responses": "Caicaini gateway, /v1/responses (translated to Anthropic)",
    "litellm_openai": "LiteLLM proxy, /v1/chat/completions (to Anthropic)",
}
BASELINE = {
    "gateway_anthropic": "direct_anthropic",
    "gateway_openai": "direct_anthropic",
    "gateway_responses": "direct_anthropic",
    "litellm_openai": "direct_anthropic",
}
RESPONSES_MARGIN = 0.10  # the Responses API's overhead may exceed Chat Completions' by 10%


# Phase timers (temporary perf_counter probes around admit / hold / upstream / settle) and
# py-spy profiles of the gateway process, same machine, 2026-11-26 19:40 UTC and again
# 20:00-20:20 UTC; process CPU from /proc/<pid>/stat over 2,000 messages at concurrency 32
# (19:40 figure).
ANALYSIS = [
    "Before this round of work (same machine, 19:15 UTC): p50 overhead +11.57 ms, p99 +18.05 "
    "ms, 70-72 requests/s at concurrency 32, streaming TTFB overhead +14.6 ms; 19 SQL "
    "statements per message through the ORM and aiosqlite (one thread hop each), ~14 ms of "
    "gateway CPU per message.",
    "What changed: the ledger's hot operations (hold, settle, release, balance) are SQLAlchemy "
    "Core statements built once at import (`caicaini/ledger/hot.py`, `hold_repository.py`): "
    "no unit of work, no identity map; the account and its grants are locked by one statement "
    "(a FOR UPDATE sub-select, same lock order as before); hold and settlement entries, "
    "allocations and grant moves are one statement each; settle computes the balance after "
    "it from the grants it locked, so the separate balance query for the "
    "`caicaini-credits-remaining` header is gone; the gateway no longer marks holds started "
    "(a crash now releases the hold, in the customer's favour; documented in "
    "`LedgerService.resolve_abandoned` and `gateway/metering.py`) and passes the real unit "
    "price to the hold; settle, usage record, receipt and key last-used are one transaction "
    "of Core inserts.",
    "On SQLite (the embedded default) each metering transaction runs as one function on the "
    "gateway's writer thread (`caicaini/gateway/writer.py`, a synchronous pysqlite "
    "connection, the same `BEGIN IMMEDIATE`), so a transaction costs one thread hop instead "
    "of one per statement; under load, what queues up while one transaction runs commits "
    "together (group commit, each piece in its own savepoint so one failure rolls back "
    "alone). `run` returns only after the commit: no settlement is buffered past its "
    "response, and closing the writer waits for the queue.",
    "Second round (20:00-20:30 UTC; before it, in this report's previous run: p50 overhead "
    "+2.82 ms, p99 +6.70 ms, 252/268 requests/s, PostgreSQL p50 +6.89 ms). Phase timers and "
    "py-spy on the gateway at concurrency 1 showed hold ~0.64 ms, settle ~0.75 ms, the "
    "upstream call ~1.19 ms (the load generator's own call: ~0.7 ms) and ~0.4 ms of "
    "framework. What changed, each step measured: (1) when the SQLite writer is idle the "
    "transaction runs on the event loop itself (same connection, same `BEGIN IMMEDIATE`, "
    "busy timeout 0 for the `BEGIN` so the loop never waits for the lock; otherwise the "
    "thread and group commit as before): no thread wake-ups, no GIL hand-off while the "
    "upstream call starts, -0.6 ms; (2) single-row INSERT/UPDATEs and the lock SELECTs of "
    "hold and settle run straight on the pysqlite cursor with SQLAlchemy's own compiled SQL "
    "and bind/result processors (`caicaini/ledger/fast_sqlite.py`; statements needing "
    "Python-side defaults or RETURNING, and every other driver, go through SQLAlchemy), "
    "-0.25 ms; (3) the non-streaming upstream POST goes straight to the client's pooled "
    "transport (no per-request URL merge, cookies, auth/redirect layers) and httpx's "
    "per-request INFO log line is off, -0.2 ms; (4) the message endpoints are plain "
    "Starlette routes matched first (no FastAPI dependency solving), and the hold skips a "
    "task when the writer can run it at once, -0.05 ms. No guarantee moved: the hold "
    "commits before the upstream call, settlement commits before the response, both in the "
    "same transactions as before.",
    "Where the time goes now at concurrency 1 on SQLite (medians, phase timers): hold "
    "~0.40 ms, settle transaction ~0.45 ms, the upstream call ~0.75 ms (the load "
    "generator's direct call, its own client overhead included: ~0.7 ms), body read, key "
    "check, limits and framework ~0.3 ms. The rest of each transaction is SQLite's `BEGIN "
    "IMMEDIATE`/`COMMIT` (file locks and the WAL write) and the SELECT of the hold's "
    "allocations; what would still move it is fewer statements per transaction.",
    "On PostgreSQL the same Core path runs on the request's own connection (asyncpg, no "
    "thread hop): about 0.3 ms per statement round trip through SQLAlchemy's asyncpg "
    "adapter and a flushed commit per transaction (default server settings: each commit "
    "waits for the WAL flush; the settlement's durability depends on it, so it stays). The "
    "pool's pre-ping (a round trip per checkout, two per message) is off; connections are "
    "recycled after 5 minutes and a dead one invalidates the pool (`caicaini/db.py`); that "
    "did not move the p50 measurably (+6.91 ms against +6.89 ms before; the flushed commits "
    "and the statement round trips dominate, and PostgreSQL's p99 moves by a few ms between "
    "runs).",
    "Third round (2026-11-26 20:40-21:20 UTC, on a slower machine of the same kind: a plain "
    "Python loop ran 2-2.5x slower than on the machine of the runs above, and the direct "
    "call's p50 was 1.5-1.8 ms instead of 0.7). py-spy (GIL samples) and process CPU from "
    "/proc/<pid>/stat over 1,000-3,000 sequential messages showed ~5.3 ms of gateway CPU per "
    "message: a third in httpx/httpcore (pure-Python HTTP/1.1 and anyio layers), a fifth in "
    "the two SQLite transactions' Python and SQLAlchemy plumbing, the rest two socket writes, "
    "framework and logging. What changed: (1) the provider clients keep httpx's API but send "
    "through aiohttp's pool and C parser (`httpx-aiohttp`, the transport Anthropic's own SDK "
    "offers), -0.9 ms of CPU per message; (2) the SQLite writer keeps its one connection "
    "(no pool checkout per transaction, the busy timeout set only when it changes), sends "
    "`BEGIN IMMEDIATE` straight to the driver, and the hold's INSERT takes the fast path "
    "(row count instead of RETURNING): hold + settle 1.1 -> 0.64 ms; (3) on PostgreSQL each "
    "transaction's writes are one statement (data-modifying CTEs over arrays: the hold's "
    "four writes, the settlement's four, the usage record with its receipt) run on a plain "
    "connection without an ORM session: 18 round trips per message -> 9, p50 15.1 -> "
    "10-11.5 ms and CPU 8.8 -> 5.3-6.0 ms per message on that box. Same-minutes A/B at "
    "concurrency 1 on SQLite, before and after the round: p50 8.69 -> 4.07 ms, gateway CPU "
    "6.15 -> 2.70 ms per message. The throughput run moved to `wrk`: with the httpx load "
    "generator the gateway sat at ~60% of a core at concurrency 32 (the generator, not the "
    "gateway, was the limit); with `wrk` it runs at ~100% of a core.",
    "What is left, at concurrency 1 on SQLite: two loopback socket writes per message (one "
    "to the upstream, one to the client; ~15% of the gateway's GIL time here), the two "
    "metering transactions (~20%), and Starlette/uvicorn, the access log and metrics "
    "(~20%).",
    "Under load (same round, `wrk` at concurrency 32) the p99 was 0.6-1.5 s against a p50 of "
    "~90 ms, in clusters: every in-flight request finishing at once after a stall. Two "
    "causes, both fixed: (1) when one `BEGIN` found the lock busy, the SQLite writer moved to "
    "its thread and stayed there while work kept queuing, and a batch on the thread waits "
    "for the GIL at every statement while the loop is busy (up to the 5 ms switch interval "
    "each); now the loop runs a transaction whenever the thread is not in one and takes the "
    "queue along; (2) every 5 s, when the key, rate and terms caches expired, each request "
    "in flight refilled them itself through aiosqlite in a `BEGIN IMMEDIATE` transaction, "
    "holding the write lock across thread hops; now lookups run in read-only transactions "
    "(a plain `BEGIN`) and concurrent refills of one entry share one query. p99 at "
    "concurrency 32 went from 1.3 s to ~0.18 s and throughput from ~300 to ~390 requests/s "
    "(`wrk`, same minutes). Gen-2 garbage collections (~110 ms each here) were measured too; "
    "freezing the start-up heap (`gc.freeze`) removed them but did not move the tail, so it "
    "was left out.",
    "Fourth round (2026-11-26 22:55-23:46 UTC, on a faster machine of this kind: the direct "
    "call's p50 0.5-0.6 ms, as in the first two rounds). The first run there gave p50 "
    "overhead +0.96 ms, p99 +4.22 ms, and 894 against LiteLLM's 94 requests/s (9.5x). "
    "py-spy at concurrency 32, and what changed, each step measured in the same minutes: "
    "(1) a sixth of the gateway's samples were SQLite's COMMIT, 40% of that its automatic "
    "checkpoint: every ~100th commit on the event loop copied the WAL back into the database "
    "file and flushed both, stalling every request in flight; now the writer's connection "
    "does not checkpoint in its commits and the writer thread checkpoints every 250 commits "
    "while new work queues for it, so the whole WAL is copied and restarted and the file "
    "stays bounded under continuous load (tested): 930 -> 1,160 requests/s; (2) the two "
    "message endpoints are served in a fast lane (`caicaini/http/lane.py`: straight under "
    "the request-context middleware and the app's own exception handlers, without FastAPI's "
    "ten layers and router; FastAPI 0.165's router re-reads its whole route table on every "
    "request): 1,150 -> 1,340 requests/s, CPU 1.04 -> 0.95 ms per message; (3) FastAPI's "
    "native OpenTelemetry is off (nothing here uses it; it looked its providers up in "
    "`os.environ` on every request); (4) a server process freezes its start-up heap: full "
    "collections took 76 ms each at concurrency 32 (the earlier round's tail had other "
    "causes too), now ~3 ms, and the p99 at concurrency 32 went from ~110 ms to ~45 ms. "
    "The bench itself: throughput runs rotate over four accounts of their own (at 1,300 "
    "requests/s one account reaches the plan's 10,000 messages a day inside a run), and "
    "the open-streams run records what went wrong, by kind (one run had 1 error in 1,000 "
    "that reruns did not repeat).",
    "PostgreSQL, same round: a message is 10 round trips (BEGIN, the lock SELECT, the hold "
    "statement, COMMIT; BEGIN, two lock SELECTs, the settlement statement, the usage record "
    "with its receipt, COMMIT; counted with `log_statement`). The server's own time is "
    "~0.85 ms a message (`log_min_duration_statement`: each COMMIT ~0.18 ms, each "
    "data-modifying statement ~0.17 ms); a WAL flush costs 85 us here (`pg_test_fsync`), so "
    "committing the hold asynchronously was tried and moved nothing measurable, and was "
    "dropped. The rest is the gateway's side of the round trips (~0.1 ms of CPU each through "
    "SQLAlchemy's asyncpg adapter) and the wake-ups between five processes on two cores. "
    "What would move the p50 to ~2 ms: fewer round trips, i.e. pipelining (psycopg 3's "
    "pipeline mode could send BEGIN with the lock SELECT and the writes with COMMIT: four "
    "round trips a message, a driver change for the whole application) or moving the "
    "settlement's two lock SELECTs into one (one round trip, with the lock order kept).",
]


def _verdict(results: dict[str, Any]) -> str:
    lat, thr = results["latency"], results["throughput"]
    if "gateway_anthropic" not in lat or "direct_anthropic" not in lat:
        return "Targets: not measured in this run."
    p50 = lat["gateway_anthropic"]["p50_ms"] - lat["direct_anthropic"]["p50_ms"]
    p99 = lat["gateway_anthropic"]["p99_ms"] - lat["direct_anthropic"]["p99_ms"]
    met = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    text = (
        "Targets from the issue (ARCHITECTURE.md §8 asks for 5x LiteLLM's throughput), on "
        f"SQLite: p50 overhead <= 2 ms: {met(p50 <= 2)} ({p50:+.2f} ms"
    )
    if "gateway_openai" in lat:
        oa = lat["gateway_openai"]["p50_ms"] - lat["direct_anthropic"]["p50_ms"]
        text += (
            f" on /v1/messages; {oa:+.2f} ms on the OpenAI-format endpoint, {met(oa <= 2)} there"
        )
    text += f"); p99 overhead <= 10 ms: {met(p99 <= 10)} ({p99:+.2f} ms)"
    lite = thr.get("litellm_openai", {}).get("rps")
    gw = thr.get("gateway_openai", {}).get("rps")
    direct = thr.get("direct_anthropic", {}).get("rps")
    if lite and gw:
        text += (
            f"; throughput >= 10x LiteLLM's: {met(gw >= 10 * lite)} ({gw / lite:.1f}x: "
            f"{gw:.0f} vs {lite:.0f} requests/s; >= 5x: {met(gw >= 5 * lite)})."
        )
        if direct and gw < 10 * lite:
            text += (
                f" 10x LiteLLM would be {10 * lite:.0f} requests/s, "
                f"{100 * 10 * lite / direct:.0f}% of what the fake upstream serves when called "
                f"directly ({direct:.0f} requests/s) on the same two cores."
            )
        text += (
            " Figures move between runs on a shared machine (p50 by about ±0.4 ms, "
            "throughput by about ±15%), and machines of this kind differ: the previous "
            "session's ran the same code 2-2.5x slower (8.7x and 10.3x there, 25 minutes "
            "apart)."
        )
    else:
        text += "; throughput against LiteLLM: not measured (LiteLLM did not run)."
    pg = (results.get("postgres") or {}).get("latency", {})
    if "gateway_anthropic" in pg and "direct_anthropic" in pg:
        p50 = pg["gateway_anthropic"]["p50_ms"] - pg["direct_anthropic"]["p50_ms"]
        p99 = pg["gateway_anthropic"]["p99_ms"] - pg["direct_anthropic"]["p99_ms"]
        text += (
            f" On PostgreSQL: p50 overhead {met(p50 <= 2)} ({p50:+.2f} ms), p99 "
            f"{met(p99 <= 10)} ({p99:+.2f} ms)."
        )
    return text


def _responses(results: dict[str, Any]) -> list[str]:
    """The Responses API against Chat Completions: the same minutes, blocks in turn."""
    rows = results.get("responses")
    lines = ["", "## The Responses API against Chat Completions", ""]
    if not rows:
        return [*lines, "Not measured in this run."]
    lines += ["Requests at concurrency 1, in blocks (a tenth of the run each) to the fake "
              "upstream directly, the Chat Completions endpoint and the Responses API endpoint "
              "in turn, so that whatever else loads the machine weighs on all three alike; the "
              "gateway's CPU per message (its threads' time on a CPU, from "
              "`/proc/<pid>/task/*/schedstat`) from the same blocks. Both endpoints translate "
              "to the same canonical call and meter it the same way."]  # fmt: skip
    lines += ["", *_latency_table(rows)]
    if "cpu_ms" in rows.get("gateway_responses", {}):
        chat, resp = rows["gateway_openai"]["cpu_ms"], rows["gateway_responses"]["cpu_ms"]
        lines += ["", f"Gateway CPU per message: {chat:.3f} ms (Chat Completions), {resp:.3f} "
                      f"ms (Responses API), {resp / chat - 1:+.1%}."]  # fmt: skip
    thr = results["throughput"]
    if "gateway_openai" in thr and "gateway_responses" in thr:
        lines += ["", f"Throughput at concurrency {thr['gateway_responses']['concurrency']} "
                      f"(the table above, one run after the other): "
                      f"{thr['gateway_responses']['rps']:.0f} requests/s (Responses API), "
                      f"{thr['gateway_openai']['rps']:.0f} (Chat Completions)."]  # fmt: skip
    return lines


def _responses_verdict(results: dict[str, Any]) -> str:
    rows = results.get("responses") or {}
    if not {"direct_anthropic", "gateway_openai", "gateway_responses"} <= rows.keys():
        return ""
    base = rows["direct_anthropic"]["p50_ms"]
    chat = rows["gateway_openai"]["p50_ms"] - base
    resp = rows["gateway_responses"]["p50_ms"] - base
    cpu_chat, cpu_resp = rows["gateway_openai"]["cpu_ms"], rows["gateway_responses"]["cpu_ms"]
    met = lambda ok: "met" if ok else "**not met**"  # noqa: E731
    limit = 1 + RESPONSES_MARGIN
    return (
        f" The Responses API within {RESPONSES_MARGIN:.0%} of Chat Completions (measured in "
        f"turn): p50 overhead {met(resp <= chat * limit)} ({resp:+.2f} ms against "
        f"{chat:+.2f} ms), gateway CPU per message {met(cpu_resp <= cpu_chat * limit)} "
        f"({cpu_resp:.3f} ms against {cpu_chat:.3f} ms)."
    )


def _load_average(m: dict[str, Any]) -> list[str]:
    """The machine's 5-minute load average before and after the run: other processes compete
    with the measured ones when it exceeds the CPU count."""
    if "load" not in m:
        return []
    lines = [f"- Load average (5 min) before and after the run: {m.get('load_before', '?')} and "
             f"{m['load']}, on {m['nproc']} CPUs"]  # fmt: skip
    if max(m["load"], m.get("load_before", 0)) > 2 * m["nproc"]:
        lines += ["  (other work kept the CPUs busy: absolute latencies and throughputs are not",
                  "  comparable with quieter runs; comparisons measured in turn, and CPU per",
                  "  message, still are)"]  # fmt: skip
    return lines


def _load_note(thr: dict[str, Any]) -> str:
    tools = {row.get("tool", "httpx") for row in thr.values()}
    if tools == {"wrk"}:
        seconds = next(iter(thr.values()))["seconds"]
        return (f"Load: `wrk -t1 -c32`, {seconds} s per target after a 1 s warm-up. (The "
                "Python load generator used before could not keep a gateway busy on this box: "
                "at concurrency 32 it held the gateway to ~60% of a core.)")  # fmt: skip
    return "Load: the httpx load generator (`wrk` was not available)."


def _overhead(rows: dict[str, Any], name: str, field: str) -> str:
    base = BASELINE.get(name)
    if base is None or base not in rows:
        return "—"
    return f"{rows[name][field] - rows[base][field]:+.2f}"


def _latency_table(rows: dict[str, Any]) -> list[str]:
    lines = ["| target | p50 ms | p99 ms | p50 overhead ms | p99 overhead ms | n |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for name, row in rows.items():
        lines.append(
            f"| {NAMES.get(name, name)} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{_overhead(rows, name, 'p50_ms')} | {_overhead(rows, name, 'p99_ms')} | {row['n']} |"
        )
    return lines


def _postgres(pg: dict[str, Any] | None) -> list[str]:
    lines = ["", "## The gateway on PostgreSQL", ""]
    if not pg:
        return [*lines, "PostgreSQL was not reachable in this run: no figures."]
    lines += ["Same machine and load, the gateway on a scratch PostgreSQL 15 database "
              "(127.0.0.1, created for the run and dropped after it; default server settings, "
              "so every commit is flushed to disk). The direct calls were measured again in the "
              "same minutes as the baseline.", "", *_latency_table(pg["latency"])]  # fmt: skip
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
        *_load_average(m),
        "- Setup: every process on 127.0.0.1 of this machine: the fake upstream (`caicaini",
        "  fake-upstream`, zero latency) in its own process, the gateway (`caicaini serve`, one",
        "  process, SQLite, full metering: key check, rate limits, hold, settle, usage record and",
        "  signed receipt per message) in its own process, LiteLLM's proxy in its own virtualenv",
        "  and process; the load generator is a fourth process: httpx (Python) for latency,",
        "  time to first byte and open streams, `wrk` (C, one thread) for throughput. Both",
        "  gateways call the same fake Anthropic endpoint. Overhead = gateway minus calling the",
        "  fake directly.",
        "  The tables up to the open streams are the gateway on SQLite (the embedded default);",
        "  a second gateway process on PostgreSQL is measured after it (its own section).",
        "",
        "## Latency at concurrency 1 (non-streaming)",
        "",
        *_latency_table(results["latency"]),
    ]
    lines += ["", "## Throughput at concurrency 32 (non-streaming)", "",
              "| target | requests/s | requests | errors |",
              "| --- | ---: | ---: | ---: |"]  # fmt: skip
    thr = results["throughput"]
    for name, row in thr.items():
        lines.append(f"| {NAMES.get(name, name)} | {row['rps']:.0f} | {row['requests']} | "
                     f"{row['errors']} |")  # fmt: skip
    lines += ["", _load_note(thr)]
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
    for name, row in results["streams"].items():
        for kind, count in row.get("error_kinds", {}).items():
            lines.append(f"\n{NAMES.get(name, name)}: {count} x {kind}")
    lines += _responses(results)
    lines += _postgres(results.get("postgres"))
    lines += ["", "## Targets", "", _verdict(results) + _responses_verdict(results)]
    lines += ["", "## Where the gateway's time goes"]
    for paragraph in ANALYSIS:
        lines += ["", paragraph]
    lite = results.get("litellm", {})
    lines += ["", "## LiteLLM configuration", ""]
    lines += [f"- {note}" for note in lite.get("notes", [])]
    if not lite.get("available"):
        lines.append("- LiteLLM could not be started in this run: no comparison figures.")
    path.write_text("\n".join(lines) + "\n")
