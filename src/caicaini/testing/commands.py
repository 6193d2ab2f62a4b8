"""``caicaini fake-upstream --port P``: serve the fake model provider for development and
benchmarks (Anthropic at ``http://HOST:P``, OpenAI/Moonshot at ``http://HOST:P/v1``)."""

from __future__ import annotations

import typer


def fake_upstream(
    port: int = typer.Option(8300, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to bind."),
    moonshot: bool = typer.Option(False, help="Moonshot usage quirks on chat completions."),
    latency_ms: int = typer.Option(0, help="Default latency before each response, in ms."),
    tokens_per_second: float = typer.Option(0.0, help="Default streaming pace (0: no pacing)."),
) -> None:
    """Serve the fake upstream (Anthropic Messages + OpenAI chat completions)."""
    import uvicorn

    from caicaini.testing.fake_upstream import Behaviour, FakeScript, create_fake_upstream_app

    default = Behaviour(
        moonshot=moonshot, latency=latency_ms / 1000, tokens_per_second=tokens_per_second
    )
    app = create_fake_upstream_app(FakeScript(default=default))
    typer.echo(f"fake upstream: anthropic http://{host}:{port}  openai http://{host}:{port}/v1")
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
