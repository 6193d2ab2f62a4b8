"""Vendored front-end libraries: each under static/vendor/<library>/ with its licence and
version, served by the app itself (no CDN)."""

from __future__ import annotations

import httpx
import pytest

from caicaini.main import WEB_STATIC

VENDOR = WEB_STATIC / "vendor"


def test_every_vendored_library_carries_its_licence_and_version() -> None:
    libraries = sorted(p for p in VENDOR.iterdir() if p.is_dir())
    assert {p.name for p in libraries} >= {"chart.js", "axe-core"}
    for library in libraries:
        assert (library / "VERSION").read_text().strip(), library
        assert any(library.glob("LICENSE*")), library


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("path", "banner"),
    [("chart.js/chart.umd.min.js", "Chart.js v4."), ("axe-core/axe.min.js", "axe v4.")],
)
async def test_vendored_scripts_are_served_from_our_own_origin(
    client: httpx.AsyncClient, path: str, banner: str
) -> None:
    response = await client.get(f"/static/vendor/{path}")
    assert response.status_code == 200
    assert banner in response.text[:200]
    assert len(response.content) > 100_000  # the whole minified library
