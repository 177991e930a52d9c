"""Article Markdown to safe HTML, with anchored headings and a table of contents.

Pure functions: no database. The HTML is sanitised after rendering, so nothing
an author writes (raw HTML, event handlers, javascript: links) reaches a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import markdown
import nh3
from django.utils.text import slugify

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "em", "h2", "h3", "h4", "hr", "i", "img", "kbd",
    "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "th": {"align"},
    "td": {"align"},
}
_H2 = re.compile(r"<h2 id=\"([^\"]+)\">(.*?)</h2>", re.S)
_TAGS = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class RenderedArticle:
    html: str
    toc: list[dict[str, str]]


def _slugify_heading(value: str, separator: str) -> str:
    return slugify(value) or "section"


def render_markdown(source: str) -> RenderedArticle:
    converter = markdown.Markdown(
        extensions=["toc", "tables", "sane_lists"],
        extension_configs={"toc": {"slugify": _slugify_heading, "toc_depth": "2"}},
    )
    html = nh3.clean(
        converter.convert(source),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )
    toc = [{"id": anchor, "title": _TAGS.sub("", title).strip()} for anchor, title in _H2.findall(html)]
    return RenderedArticle(html=html, toc=toc)


def split_at_headings(html: str) -> list[str]:
    """The article cut before each second-level heading, for "back to top" links between parts."""
    parts = re.split(r"(?=<h2 id=)", html)
    return [part for part in parts if part.strip()]
