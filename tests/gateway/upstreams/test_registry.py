"""Provider registry: settings choose real providers or the in-process demo provider."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from caicaini.config import Settings
from caicaini.context import AppContext
from caicaini.gateway.upstreams.anthropic import AnthropicProvider
from caicaini.gateway.upstreams.base import UpstreamRequest
from caicaini.gateway.upstreams.openai_compat import OpenAICompatProvider
from caicaini.gateway.upstreams.registry import ProviderRegistry, build_providers
from caicaini.gateway.upstreams.startup import startup
from caicaini.testing.fake_upstream import FakeUpstreamServer


@dataclass
class Model:
    provider: str


CLAUDE, KIMI = Model("anthropic"), Model("moonshot")


async def test_no_base_url_means_the_labelled_demo_provider() -> None:
    registry = build_providers(Settings())
    assert registry.demo
    (claude,) = registry.for_model(CLAUDE)
    (kimi,) = registry.for_model(KIMI)
    assert claude.label == kimi.label == "Demo provider"
    assert isinstance(kimi, OpenAICompatProvider)  # Kimi through the translating adapter
    req = UpstreamRequest(
        {"model": "kimi-k2.5", "max_tokens": 50, "messages": [{"role": "user", "content": "hi"}]},
        upstream_model="kimi-k2.5",
        max_output_tokens=32768,
    )
    assert (await kimi.send(req))["content"][0]["text"] == "Echo: hi"
    kinds = [event["type"] async for event in claude.stream(req)]
    assert kinds[-1] == "message_stop"
    await registry.aclose()


async def test_base_urls_choose_real_providers_even_without_keys(
    upstream: FakeUpstreamServer,
) -> None:
    settings = Settings(
        anthropic_base_url=upstream.anthropic_base_url, moonshot_base_url=upstream.openai_base_url
    )
    registry = build_providers(settings)
    assert not registry.demo
    (claude,) = registry.for_model(CLAUDE)
    (kimi,) = registry.for_model(KIMI)
    assert isinstance(claude, AnthropicProvider) and claude.label == "Anthropic"
    assert isinstance(kimi, OpenAICompatProvider) and kimi.label == "Moonshot AI"
    req = UpstreamRequest(
        {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]},
        upstream_model="m",
        max_output_tokens=10,
    )
    await claude.send(req)
    assert "x-api-key" not in upstream.script.last_request.headers
    await registry.aclose()


async def test_only_one_provider_configured_leaves_the_other_unrouted() -> None:
    registry = build_providers(Settings(anthropic_base_url="https://api.anthropic.com"))
    assert len(registry.for_model(CLAUDE)) == 1
    assert registry.for_model(KIMI) == []  # never the demo for paid traffic
    await registry.aclose()


async def test_startup_hook_fills_extras_and_close_closes_it(tmp_path: Path) -> None:
    ctx = AppContext.from_settings(Settings(data_dir=tmp_path))
    await startup(ctx)
    registry = ctx.extras["providers"]
    assert isinstance(registry, ProviderRegistry)
    await ctx.close()
    assert all(provider._client.is_closed for provider in registry.providers)  # type: ignore[attr-defined]
