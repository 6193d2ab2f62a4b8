"""Model provider adapters behind one small interface (``base.Provider``), chosen by
``registry.build_providers(settings)``."""

from caicaini.gateway.upstreams.base import Provider, UpstreamRequest, Usage

__all__ = ["Provider", "UpstreamRequest", "Usage"]
