"""``caicaini serve --port P`` (``make run PORT=P``) without ``CAICAINI_PUBLIC_URL``: the
banner, the e-mail links, the key page's base URL and the payment redirects all name port P.

Bug: they all said ``:8000``, the default public URL, whatever port was served."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from caicaini.config import served_url
from caicaini.payments.signature import parse_body
from tests.payments.support import free_port

PASSWORD = "correct-Horse-7"


def _caicaini(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    command = [os.path.join(os.path.dirname(sys.executable), "caicaini"), *args]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def _wait_until_up(url: str, process: subprocess.Popen[str]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise AssertionError(f"the server exited: {process.communicate()[0]}")
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the server never answered")


def test_the_public_url_defaults_to_the_port_served(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CAICAINI_PUBLIC_URL", "CAICAINI_DATABASE_URL", "CAICAINI_ENV")
    }
    env.update(CAICAINI_DATA_DIR=str(tmp_path), CAICAINI_LOG_LEVEL="WARNING")
    _caicaini("migrate", env=env)
    _caicaini(
        "users", "create", "--email", "plus@example.com", "--password", PASSWORD,
        "--plan", "plus", env=env,
    )  # fmt: skip
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "caicaini"), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_up(url, server)
        with httpx.Client(base_url=url, timeout=30) as http:
            signup = http.post(
                "/api/v1/accounts",
                json={
                    "email": "new@example.com",
                    "password": PASSWORD,
                    "date_of_birth": "1990-01-01",
                    "country": "GB",
                },
            )
            assert signup.status_code == 201, signup.text
            assert f"{url}/verify-email?token=" in http.get("/dev/mail").text

            login = http.post(
                "/api/v1/auth/login", json={"email": "plus@example.com", "password": PASSWORD}
            )
            assert login.status_code == 200, login.text
            keys = http.get("/keys").text
            assert f"caicaini-code login --base-url {url}" in keys and ":8000" not in keys

            order = http.post(
                "/api/v1/orders",
                json={"product": "topup:small", "method": "nowpayments"},
                headers={"x-csrf-token": login.json()["csrf_token"]},
            ).json()
            assert order["invoice_url"].startswith(f"{url}/_fake/nowpayments/pay/")
        state = parse_body((tmp_path / "fake_nowpayments.json").read_text("utf-8"))
        (invoice,) = state["invoices"].values()
        assert invoice["success_url"].startswith(f"{url}/billing/orders/{order['id']}")
        assert invoice["cancel_url"].startswith(f"{url}/billing/orders/{order['id']}")
        assert invoice["ipn_callback_url"] == f"{url}/webhooks/nowpayments"
    finally:
        server.terminate()
        banner = server.communicate(timeout=30)[0]
    assert f"Caicaini is serving at {url}" in banner
    assert f"{url}/dev/mail" in banner and ":8000" not in banner


def test_a_server_on_every_interface_is_linked_through_loopback() -> None:
    assert served_url("0.0.0.0", 8100) == "http://127.0.0.1:8100"
    assert served_url("::", 8100) == "http://[::1]:8100"
    assert served_url("shop.example", 80) == "http://shop.example:80"
