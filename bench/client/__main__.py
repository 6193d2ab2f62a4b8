"""Caicaini Code's own figures: start-up, a print-mode message end to end next to the same
streamed message sent straight to the gateway, a tool-use run, the cost of --max-credits'
quote, the client's CPU per run, and the markdown renderer's speed.

    python -m bench.client            (make bench-client) → bench/client/RESULTS.md

Every process runs on 127.0.0.1: the fake upstream and the gateway (SQLite, full metering)
as ``bench.gateway`` starts them, and the client as its own process, as a user runs it.
"""

from __future__ import annotations

import io
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.gateway import procs

RUNS = 20
OUT = Path(__file__).with_name("RESULTS.md")
CLIENT = [sys.executable, "-m", "caicaini_code"]
MODEL = "claude-haiku-4-5"


def timed(
    argv: list[str], env: dict[str, str], cwd: Path, runs: int = RUNS
) -> tuple[list[float], float]:
    """Wall times (ms) of ``runs`` runs, and the children's CPU ms per run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    walls = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True)
        walls.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed: {done.stderr}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000 / runs
    return walls, cpu


def direct_stream(url: str, key: str, runs: int = RUNS) -> list[float]:
    body = {"model": MODEL, "max_tokens": 8192, "stream": True,
            "messages": [{"role": "user", "content": "hello"}]}  # fmt: skip
    headers = {"authorization": f"Bearer {key}", "anthropic-version": "2023-06-01"}
    walls = []
    with httpx.Client(base_url=url, headers=headers) as client:
        for _ in range(runs):
            start = time.perf_counter()
            with client.stream("POST", "/v1/messages", json=body) as response:
                for _line in response.iter_lines():
                    pass
            walls.append((time.perf_counter() - start) * 1000)
    return walls


def render_speed(tokens: int = 2000) -> float:
    """Microseconds per streamed token for MarkdownStream (throttled re-rendering)."""
    from rich.console import Console

    from caicaini_code.render import MarkdownStream

    console = Console(file=io.StringIO(), width=100, force_terminal=True)
    stream = MarkdownStream(console)
    pieces = [f"word{n} " if n % 40 else "\n\n```python\nx = 1\n```\n\n" for n in range(tokens)]
    start = time.perf_counter()
    for piece in pieces:
        stream.update(piece)
    stream.finish()
    return (time.perf_counter() - start) * 1e6 / tokens


def p50(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}"


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-client-"))
    fake = procs.start_fake(work)
    gateway = None
    try:
        (key,) = procs.prepare_gateway(work, fake, accounts=1)
        gateway = procs.start_gateway(work, fake, work)
        project = work / "project"
        project.mkdir()
        (project / "hello.py").write_text('print("hello")\n')
        env = {**os.environ, "CAICAINI_CODE_HOME": str(work / "home"),
               "CAICAINI_BASE_URL": gateway.url, "CAICAINI_API_KEY": key}  # fmt: skip
        rows = []
        walls, cpu = timed([*CLIENT, "--help"], env, project)
        rows.append(("`caicaini-code --help` (start-up)", walls, cpu, "—"))
        direct = direct_stream(gateway.url, key)
        one = [*CLIENT, "-p", "hello", "--model", MODEL, "--output-format", "json"]
        walls, cpu = timed(one, env, project)
        rows.append(("`-p hello` (1 model call)", walls, cpu, "1"))
        tool = '[fake tool=read_file tool-input={"path":"hello.py"}] look'
        walls, cpu = timed([*CLIENT, "-p", tool, "--model", MODEL], env, project)
        rows.append(("`-p` with a read_file call (2 model calls)", walls, cpu, "2"))
        walls, cpu = timed([*one, "--max-credits", "1000"], env, project)
        rows.append(("`-p hello --max-credits 1000` (quote + call)", walls, cpu, "1"))
        per_token = render_speed()
        write(rows, direct, per_token)
    finally:
        for proc in (gateway, fake):
            if proc is not None:
                proc.popen.terminate()
                proc.popen.wait(timeout=10)
        procs.cleanup(work)


def write(
    rows: list[tuple[str, list[float], float, str]], direct: list[float], per_token: float
) -> None:
    cpus = os.cpu_count()
    lines = [
        "# Caicaini Code benchmark results",
        "",
        "Produced by `make bench-client` (`python -m bench.client`); rerun to refresh.",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {cpus} CPUs, {platform.processor() or platform.machine()}, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}; "
        f"load average {os.getloadavg()[0]:.1f} (the machine is shared)",
        "- Setup: on 127.0.0.1, the fake upstream (zero latency) and the gateway (`caicaini "
        "serve`, SQLite, full metering) in their own processes; each client run is a new "
        f"process (`python -m caicaini_code`), as a user runs it; {RUNS} runs each, model "
        f"{MODEL}, a fresh session per run.",
        "",
        "| run | p50 ms | max ms | client CPU ms per run | model calls |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, walls, cpu, calls in rows:
        lines.append(f"| {name} | {p50(walls)} | {max(walls):.0f} | {cpu:.0f} | {calls} |")
    lines += [
        f"| the same message streamed straight to the gateway (httpx, one warm connection) "
        f"| {statistics.median(direct):.1f} | {max(direct):.1f} | — | 1 |",
        "",
        "The difference between a `-p hello` run and the direct call is the client's own "
        "cost: a Python process starting, its imports, the session file and the default "
        "model's look-up (`--model` given here, so none).",
        "",
        f"Markdown rendering while streaming (`MarkdownStream`, 2,000 tokens with code "
        f"blocks, 100 columns): {per_token:.0f} µs per token (re-rendering is throttled to "
        "a few times a second).",
        "",
    ]
    OUT.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
