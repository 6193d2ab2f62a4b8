"""Processes under test: the fake upstream, the gateway (SQLite, full metering) and LiteLLM's
proxy, each in its own process on 127.0.0.1; plus the data the gateway needs (a paying
account and a key)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

if TYPE_CHECKING:
    from caicaini.config import Settings

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LITELLM_VENV = ROOT / "bench" / ".venvs" / "litellm"
LITELLM_PIN = "litellm==1.110.2"
# The pinned release's ``[proxy]`` extra needs ``litellm-proxy``, which the package mirror here
# lacks; the proxy code ships in ``litellm`` itself, so its runtime dependencies go in by hand.
LITELLM_PROXY_DEPS = [
    "websockets", "uvicorn", "fastapi", "backoff", "pyyaml", "orjson", "apscheduler", "PyJWT",
    "python-multipart", "cryptography", "pynacl", "rq", "gunicorn", "email-validator", "semver",
    "expression", "fastapi-sso", "mcp", "soundfile", "uvloop",
]  # fmt: skip
LITELLM_MASTER_KEY = "sk-bench-master-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    url: str

    @property
    def pid(self) -> int:
        return self.popen.pid

    def rss_kib(self) -> int:
        """Resident memory of the process and its children (uvicorn may fork)."""
        total = 0
        for pid in [self.pid, *_children(self.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                continue
        return total

    def cpu_seconds(self) -> float:
        """CPU time so far of the process's threads and its children's, to the nanosecond
        (``/proc/<pid>/task/*/schedstat``: /proc/<pid>/stat counts 10 ms ticks)."""
        total = 0
        for pid in [self.pid, *_children(self.pid)]:
            for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
                try:
                    total += int(stat.read_text().split()[0])
                except (OSError, ValueError, IndexError):
                    continue  # a thread that ended meanwhile
        return total / 1e9

    def stop(self) -> None:
        self.popen.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=5)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(p) for p in text.split()]
    return kids + [g for k in kids for g in _children(k)]


def start(name: str, argv: list[str], env: dict[str, str], url: str, log: Path, probe: str) -> Proc:
    with open(log, "wb") as out:
        popen = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    proc = Proc(name, popen, url)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{name} exited early; see {log}")
        try:
            if httpx.request("GET", url + probe, timeout=1).status_code < 500:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.stop()
    raise RuntimeError(f"{name} did not come up; see {log}")


def start_fake(out: Path) -> Proc:
    port = free_port()
    argv = [str(BIN / "caicaini"), "fake-upstream", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    return start("fake", argv, dict(os.environ), url, out / "fake.log", "/healthz")


def gateway_env(data_dir: Path, fake: Proc, database_url: str | None = None) -> dict[str, str]:
    return {
        **os.environ,
        "CAICAINI_ENV": "development",
        "CAICAINI_DATA_DIR": str(data_dir),
        "CAICAINI_DATABASE_URL": database_url or f"sqlite:///{data_dir / 'bench.db'}",
        "CAICAINI_ANTHROPIC_BASE_URL": fake.url,
        "CAICAINI_MOONSHOT_BASE_URL": fake.url + "/v1",
        "CAICAINI_RUN_JOBS_IN_PROCESS": "false",
        "CAICAINI_SECRET_KEY": "bench-secret-0123456789abcdef0123456789",
    }


def prepare_gateway(
    data_dir: Path, fake: Proc, database_url: str | None = None, accounts: int = 2
) -> list[str]:
    """Migrate a fresh database (SQLite unless ``database_url``) and make ``accounts`` pro
    accounts with credits and a key each. Each phase of a run loads its own accounts, so
    none nears the plan's messages per day, however fast the machine."""
    env = gateway_env(data_dir, fake, database_url)
    subprocess.run([str(BIN / "caicaini"), "migrate"], env=env, check=True, capture_output=True)
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return [asyncio.run(_make_customer(f"bench-{n}@example.com")) for n in range(accounts)]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def wrk() -> str | None:
    """The ``wrk`` load generator (Debian's package; installed when missing and allowed)."""
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True)
        found = shutil.which("wrk")
    return found


async def _make_customer(email: str) -> str:
    from caicaini.api_keys.service import ApiKeyService, KeyOptions
    from caicaini.audit.service import Actor
    from caicaini.config import Settings
    from caicaini.context import AppContext
    from caicaini.kit.ids import new_id
    from caicaini.ledger.service import LedgerService
    from caicaini.models.accounts import Account
    from caicaini.models.subscriptions import SubscriptionPeriod

    ctx = AppContext.from_settings(Settings())
    now = ctx.clock.now()
    account_id = new_id("acct")
    try:
        async with ctx.transaction() as session:
            session.add(Account(id=account_id, email=email, password_hash="x",
                                date_of_birth=date(1990, 1, 1), country="US", status="active",
                                is_operator=False, session_version=1, created_at=now))  # fmt: skip
            await session.flush()
            session.add(SubscriptionPeriod(
                id=new_id("per"), account_id=account_id, plan_name="pro", sheet_version=1,
                allowance=0, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=30),
                confirmed_at=now, idempotency_key=new_id("idem"), complimentary=True,
                status="active", created_at=now))  # fmt: skip
            await LedgerService(session, ctx.clock).grant(
                account_id, 100_000_000, "topup", idempotency_key=f"bench-{email}"
            )
            options = KeyOptions(name="bench", rpm_override=1_000_000, concurrency_override=100_000)
            _row, key = await ApiKeyService(session, ctx.clock).create(
                account_id, options, actor=Actor("operator")
            )
        return key
    finally:
        await ctx.close()


def start_gateway(
    data_dir: Path, fake: Proc, out: Path, database_url: str | None = None, name: str = "gateway"
) -> Proc:
    port = free_port()
    argv = [str(BIN / "caicaini"), "serve", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    env = gateway_env(data_dir, fake, database_url)
    return start(name, argv, env, url, out / f"{name}.log", "/healthz")


# -- PostgreSQL (a scratch database per run, dropped afterwards) ------------------------------
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def create_pg_database() -> str | None:
    """A fresh scratch database; its SQLAlchemy URL, or None when PostgreSQL is unavailable."""
    if os.environ.get("BENCH_SKIP_POSTGRES"):
        return None
    name = f"caicaini_bench_{os.getpid()}_{int(time.time())}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # connection refused, authentication, missing driver, ...
        print(f"PostgreSQL unavailable, skipping its run: {exc}", file=sys.stderr)
        return None
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


# -- LiteLLM ---------------------------------------------------------------------------------
def litellm_python() -> Path | None:
    """LiteLLM's proxy in its own virtualenv (created on first use)."""
    python = LITELLM_VENV / "bin" / "python"
    if not (LITELLM_VENV / "bin" / "litellm").exists():
        LITELLM_VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(LITELLM_VENV)], check=True)
        done = subprocess.run(
            [
                str(python),
                "-m",
                "pip",
                "install",
                "-q",
                "--disable-pip-version-check",
                LITELLM_PIN,
                *LITELLM_PROXY_DEPS,
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print("could not install LiteLLM:", done.stderr[-1000:], file=sys.stderr)
            return None
    return python


LITELLM_CONFIG = """\
model_list:
  - model_name: claude-sonnet-4-5
    litellm_params:
      model: anthropic/claude-sonnet-4-5
      api_base: {fake}
      api_key: fake-upstream-key
general_settings:
  master_key: {master}
litellm_settings:
  drop_params: true
  set_verbose: false
  json_logs: false
"""


def start_litellm(fake: Proc, out: Path) -> Proc | None:
    if os.environ.get("BENCH_SKIP_LITELLM") or litellm_python() is None:
        return None
    config = out / "litellm.yaml"
    config.write_text(LITELLM_CONFIG.format(fake=fake.url, master=LITELLM_MASTER_KEY))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAICAINI_")}
    env.update({"LITELLM_LOG": "ERROR", "LITELLM_TELEMETRY": "False", "NO_DOCS": "True",
                "LITELLM_LOCAL_MODEL_COST_MAP": "True"})  # fmt: skip
    env.pop("DATABASE_URL", None)
    argv = [str(LITELLM_VENV / "bin" / "litellm"), "--config", str(config),
            "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"]  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        return start("litellm", argv, env, url, out / "litellm.log", "/health/liveliness")
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return None


def cleanup(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def run_in_process(
    database_url: str, data_dir: Path, run: Callable[[Settings], Coroutine[Any, Any, T]]
) -> T:
    """``run`` against a freshly migrated database, in this process (the in-process page
    benchmarks: bench.chat, bench.console)."""
    from alembic import command

    from caicaini.cli import alembic_config
    from caicaini.config import Settings

    settings = Settings(
        env="test", database_url=database_url, data_dir=data_dir, run_jobs_in_process=False,
        secret_key="bench-secret-0123456789abcdef0123456789", log_level="WARNING",
    )  # fmt: skip
    command.upgrade(alembic_config(settings), "head")
    return asyncio.run(run(settings))
