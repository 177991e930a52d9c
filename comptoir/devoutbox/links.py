"""The links of an e-mail's HTML part, made to work inside the outbox's framed preview.

The preview is a sandboxed frame: a link followed inside it would load one of
our pages into the frame, which every page refuses (frame-ancestors 'none'),
and the developer would see a broken frame instead of the page the e-mail
leads to. So each link to this site opens in a new tab, with no way back to
the outbox (rel="noopener noreferrer"); any other link (another site, mailto:,
javascript:) keeps its words but loses its address. Everything else in the
e-mail is left byte for byte as it was sent.
"""

from __future__ import annotations

from collections.abc import Collection
from html import escape
from html.parser import HTMLParser
from urllib.parse import urlsplit

# The attribute names a rewritten link keeps: its address, target and rel are ours.
_KEPT = {"class", "style", "title", "id", "lang", "dir"}


def site_origins(*addresses: str) -> set[str]:
    """The origins ("http://127.0.0.1:8000") of the given addresses: the links that may open."""
    origins = set()
    for address in addresses:
        parts = urlsplit(address)
        if parts.scheme in ("http", "https") and parts.netloc:
            origins.add(f"{parts.scheme}://{parts.netloc.lower()}")
    return origins


def is_site_link(href: str, origins: Collection[str]) -> bool:
    parts = urlsplit(href.strip())
    return parts.scheme in ("http", "https") and f"{parts.scheme}://{parts.netloc.lower()}" in origins


class _LinkRewriter(HTMLParser):
    def __init__(self, origins: Collection[str]) -> None:
        # Character references stay as written: only tags are rewritten.
        super().__init__(convert_charrefs=False)
        self.origins = origins
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._tag(tag, attrs, closed=True)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], *, closed: bool) -> None:
        if tag == "base":
            # A <base> would change where every relative link and image points.
            return
        if tag not in ("a", "area"):
            self.out.append(self.get_starttag_text() or "")
            return
        kept = [(name, value) for name, value in attrs if name in _KEPT]
        href = next((value for name, value in attrs if name == "href" and value), None)
        if href is not None and is_site_link(href, self.origins):
            kept += [("href", href.strip()), ("target", "_blank"), ("rel", "noopener noreferrer")]
        elif href is not None:
            # Shown, not followed: the developer still sees where it pointed.
            kept += [("title", href)] if not any(name == "title" for name, _ in kept) else []
        rendered = "".join(f' {name}="{escape(value or "", quote=True)}"' for name, value in kept)
        self.out.append(f"<{tag}{rendered}{' /' if closed else ''}>")

    def handle_endtag(self, tag: str) -> None:
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    # Comments, declarations and processing instructions are dropped, not copied: this parser
    # and a browser disagree on where some of them end (`<!-->`, `--!>`, `<![CDATA[>`), so a
    # copy could carry a live link past the rewriting. A doctype is written anew.
    def handle_comment(self, data: str) -> None:
        return

    def handle_decl(self, decl: str) -> None:
        if decl.lower().startswith("doctype"):
            self.out.append("<!DOCTYPE html>")

    def handle_pi(self, data: str) -> None:
        return

    def unknown_decl(self, data: str) -> None:
        return


def links_opened_outside(html: str, origins: Collection[str]) -> str:
    """The e-mail's HTML with each link to `origins` opening in a new tab, and every other link inert."""
    rewriter = _LinkRewriter(origins)
    rewriter.feed(html)
    rewriter.close()
    return "".join(rewriter.out)
