"""Shared browser steps for page tests (chat and console tests use them too): a real Chromium,
axe-core (vendored, the same file the app serves) and screenshots saved as test artefacts.

``check_page(page, name)`` is what every main page goes through: at 1280 px and at 390 px it
saves a full-page screenshot, asserts the page does not scroll sideways, and runs axe-core,
failing on any serious or critical violation.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
# Git-ignored (artifacts/ in .gitignore); CAICAINI_ARTIFACTS moves it.
ARTIFACTS = Path(os.environ.get("CAICAINI_ARTIFACTS", ROOT / "artifacts")) / "screenshots"
AXE_URL = "/static/vendor/axe-core/axe.min.js"  # served by the app: allowed by its CSP
WIDTHS = (1280, 390)
BLOCKING = ("serious", "critical")

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
  }));
}"""


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def axe_violations(page: Page, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now, of the given impacts."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(url=AXE_URL)
    found: list[dict[str, Any]] = await page.evaluate(_RUN_AXE)
    return [v for v in found if v["impact"] in impacts]


async def scroll_width(page: Page) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth"))


async def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def check_page(page: Page, name: str) -> None:
    """At each width: a screenshot, no sideways scroll, no serious or critical axe finding."""
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.wait_for_timeout(50)  # let layout (and a responsive chart) settle
        await screenshot(page, f"{name}-{width}")
        assert await scroll_width(page) <= width, f"{name} scrolls sideways at {width} px"
        violations = await axe_violations(page)
        assert violations == [], f"{name} at {width} px: {violations}"
