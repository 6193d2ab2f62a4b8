"""Model output as HTML: untrusted text in, inert HTML out.

markdown-it-py's ``js-default`` preset (no raw HTML, links validated: no ``javascript:`` or
``data:`` URLs) renders the markdown; fenced code is highlighted by Pygments into ``<span
class>`` elements; nh3 (the Ammonia sanitiser) then keeps only an allow-list of tags and
attributes, so whatever the renderer let through (or a bug in it would) cannot run: no
script, no event handler attribute, no style, links only to http(s) and mailto with
``rel="noopener noreferrer nofollow"``. The browser adds a copy button to each code block.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

TAGS = {
    "a", "p", "br", "hr", "blockquote", "pre", "code", "span", "em", "strong", "del", "s",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "span": {"class"},
    "pre": {"class"},
    "ol": {"start"},
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_FORMATTER = HtmlFormatter(nowrap=True, classprefix="hl-")


def _highlight(code: str, language: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(language.strip().split()[0]) if language.strip() else None
    except ClassNotFound:
        lexer = None
    if lexer is None:
        return ""  # markdown-it escapes the code itself
    return str(highlight(code, lexer, _FORMATTER))


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default", {"highlight": _highlight})
    return md


def render_markdown(text: str) -> str:
    """Sanitised HTML for one message's markdown."""
    html = _markdown().render(text)
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )
