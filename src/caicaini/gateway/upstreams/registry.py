"""Which provider serves which model, chosen once from settings.

- ``CAICAINI_ANTHROPIC_BASE_URL`` set → ``AnthropicProvider`` for ``anthropic`` models (the
  key, when set, goes in ``x-api-key``); ``CAICAINI_MOONSHOT_BASE_URL`` set →
  ``OpenAICompatProvider`` for ``moonshot`` models (Bearer key). A base URL without a key is
  still used, so a private fake or proxy can stand in.
- Neither set (the embedded default) → the demo provider: the fake upstream served in-process
  (no socket), labelled "Demo provider", for both kinds of models — Kimi models through the
  OpenAI-compatible adapter, so translation is exercised exactly as in production.
- Only one set → the other provider's models have no route (``for_model`` returns ``[]``):
  paid traffic is never answered by the demo by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from caicaini.config import Settings
from caicaini.gateway.upstreams.anthropic import AnthropicProvider
from caicaini.gateway.upstreams.base import Provider
from caicaini.gateway.upstreams.openai_compat import OpenAICompatProvider

DEMO_LABEL = "Demo provider"


class RoutedModel(Protocol):
    @property
    def provider(self) -> str: ...


@dataclass
class ProviderRegistry:
    routes: dict[str, list[Provider]] = field(default_factory=dict)  # catalogue provider -> routes
    demo: bool = False

    def for_model(self, model: RoutedModel) -> list[Provider]:
        """The routes for a catalogue model, in the order to try them."""
        return list(self.routes.get(model.provider, ()))

    @property
    def providers(self) -> list[Provider]:
        seen: dict[int, Provider] = {}
        for routes in self.routes.values():
            for provider in routes:
                seen.setdefault(id(provider), provider)
        return list(seen.values())

    async def aclose(self) -> None:
        for provider in self.providers:
            await provider.aclose()


def build_providers(settings: Settings) -> ProviderRegistry:
    if not settings.anthropic_base_url and not settings.moonshot_base_url:
        return demo_registry()
    routes: dict[str, list[Provider]] = {}
    if settings.anthropic_base_url:
        routes["anthropic"] = [
            AnthropicProvider(settings.anthropic_base_url, settings.anthropic_api_key)
        ]
    if settings.moonshot_base_url:
        routes["moonshot"] = [
            OpenAICompatProvider(settings.moonshot_base_url, settings.moonshot_api_key)
        ]
    return ProviderRegistry(routes)


def demo_registry() -> ProviderRegistry:
    from caicaini.testing.asgi_stream import StreamingASGITransport
    from caicaini.testing.fake_upstream import create_fake_upstream_app

    transport = StreamingASGITransport(create_fake_upstream_app())
    anthropic = AnthropicProvider(
        "http://demo.invalid", name="demo", label=DEMO_LABEL, transport=transport
    )
    moonshot = OpenAICompatProvider(
        "http://demo.invalid/v1", name="demo", label=DEMO_LABEL, transport=transport
    )
    return ProviderRegistry({"anthropic": [anthropic], "moonshot": [moonshot]}, demo=True)
