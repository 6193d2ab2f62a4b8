"""QR codes drawn on the server as SVG (segno): no script, no image service."""

from __future__ import annotations

import io

import segno


def qr_svg(text: str) -> bytes:
    """A QR code of ``text`` as a standalone SVG document, black on white, quiet zone kept."""
    code = segno.make(text, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="svg", scale=6, border=4, dark="#111111", light="#ffffff", xmldecl=False)
    return out.getvalue()
