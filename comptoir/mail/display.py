"""An inbound e-mail's HTML made safe to show an agent.

nh3 keeps a small set of formatting tags and drops scripts, styles, event
handlers, forms and every scheme but http(s), mailto and cid. Inline images
(``cid:``) are pointed at the view that serves that part of the stored message;
remote images are dropped, so opening a message never tells its sender anything.
"""

from __future__ import annotations

from collections.abc import Callable

import nh3

_TAGS = {
    "a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}
# Removed with what they contain, not only their tags.
_DROPPED_WITH_CONTENT = {"script", "style", "title", "head", "template", "noscript", "object", "iframe"}


def safe_email_html(html: str, inline_image_url: Callable[[str], str | None]) -> str:
    """``inline_image_url`` maps a Content-ID to the address of its image, or None when there is none."""

    def filter_attribute(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src":
            if value[:4].lower() != "cid:":
                return None
            return inline_image_url(value[4:].strip("<> "))
        return value

    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=filter_attribute,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
    )
