"""The context a customer's browser sends with a new ticket, with their consent: parsed, never trusted.

The ticket form's script (ticketforms/context.js) fills one hidden input with a
small JSON object when the form is sent and the consent box is ticked. Whatever
arrives is a stranger's text: the whole payload is capped, unknown keys are
dropped, each value is cut to a short plain text of a fixed shape, and the two
pages named (the Help Center page the customer came from, the article they last
read) must be pages of our own Help Center, the article one that exists and is
published. What is left is a ``BrowserContext``; anything else is dropped.

``parse`` is pure; ``page_seen`` reads the Help Center to name a page.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve, reverse
from django.utils import translation

from comptoir.helpcenter.models import ArticleTranslation, CategoryTranslation, SectionTranslation

# The longest payload read at all: the six values below fit in far less.
PAYLOAD_MAX_LENGTH = 2_000
TEXT_MAX_LENGTH = 60
PATH_MAX_LENGTH = 300
TITLE_MAX_LENGTH = 200
SCREEN_MAX = 20_000
KEYS = ("browser", "system", "screen", "language", "from", "article")

# The Help Center's pages a customer may have come from (named URLs of comptoir.urls).
HELP_CENTER_PAGES = ("home", "category_detail", "section_detail", "article_detail", "search")

# "1920x1080", or with the multiplication sign the page shows.
_SCREEN = re.compile(r"(\d{1,5})\s*[x\u00d7]\s*(\d{1,5})")
# A language tag as browsers give it (fr, fr-FR, zh-Hant-TW): letters and digits in short parts.
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,3}")


@dataclass(frozen=True)
class Payload:
    """What the page sent, each value already of its fixed shape ("" or None when absent or refused)."""

    browser: str = ""
    system: str = ""
    screen_width: int | None = None
    screen_height: int | None = None
    language: str = ""
    came_from: str = ""
    article: str = ""


@dataclass(frozen=True)
class PageSeen:
    """A Help Center page: its address, which kind of page (a URL name of HELP_CENTER_PAGES) and its title."""

    path: str
    kind: str
    # The article's, section's or category's title in the page's language; "" for the home and search pages.
    title: str


def plain_text(value: object, limit: int = TEXT_MAX_LENGTH) -> str:
    """A short one-line text: control and formatting characters dropped, spaces collapsed, cut to ``limit``."""
    if not isinstance(value, str):
        return ""
    kept = "".join(" " if char.isspace() else char for char in value[: limit * 4] if _printable(char))
    return " ".join(kept.split())[:limit].strip()


def _printable(char: str) -> bool:
    # Cc (control), Cf (bidi overrides, zero-width), Cs, Co, Cn: nothing a browser's name holds.
    return char.isspace() or not unicodedata.category(char).startswith("C")


def help_center_path(value: object) -> str:
    """``value`` when it is the path of one of our Help Center pages (no other site, no query), else ""."""
    if not isinstance(value, str) or not value or len(value) > PATH_MAX_LENGTH:
        return ""
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        return ""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or parts.query or parts.fragment:
        return ""
    path = parts.path
    if any(not char.isprintable() or char.isspace() for char in unquote(path)):
        return ""
    return path if _resolved(path) is not None else ""


def _resolved(path: str) -> tuple[str, str, dict[str, Any]] | None:
    """(language, URL name, arguments) of a Help Center page's path, None for any other path."""
    language = path.split("/", 2)[1] if path.count("/") >= 2 else ""
    if language not in dict(settings.LANGUAGES):
        return None
    # The paths carry their language (/fr/…): the resolver reads them in that language.
    with translation.override(language):
        try:
            match = resolve(path)
        except Resolver404:
            return None
    if match.url_name not in HELP_CENTER_PAGES or match.namespace:
        return None
    return language, match.url_name, dict(match.kwargs)


def parse(raw: object) -> Payload:
    """The hidden input's JSON as a ``Payload``: unknown keys dropped, each value capped and of its shape."""
    if not isinstance(raw, str) or not raw or len(raw) > PAYLOAD_MAX_LENGTH:
        return Payload()
    try:
        data = json.loads(raw)
    except ValueError:
        return Payload()
    if not isinstance(data, dict):
        return Payload()
    width, height = _screen(data.get("screen"))
    language = data.get("language")
    return Payload(
        browser=plain_text(data.get("browser")),
        system=plain_text(data.get("system")),
        screen_width=width,
        screen_height=height,
        language=language if isinstance(language, str) and _LANGUAGE.fullmatch(language) else "",
        came_from=help_center_path(data.get("from")),
        article=help_center_path(data.get("article")),
    )


def _screen(value: object) -> tuple[int | None, int | None]:
    found = _SCREEN.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        return None, None
    width, height = int(found[1]), int(found[2])
    if not (0 < width <= SCREEN_MAX and 0 < height <= SCREEN_MAX):
        return None, None
    return width, height


def page_seen(path: str) -> PageSeen | None:
    """What a Help Center page was, read now (its title in its language); None when it is no page of ours.

    A category, a section or an article must exist in the path's language, and an article be published.
    """
    resolved = _resolved(path) if path else None
    if resolved is None:
        return None
    language, kind, kwargs = resolved
    # The <int:pk> of a category's, a section's or an article's address (0, no row, for the others).
    found = kwargs.get("pk")
    pk = found if isinstance(found, int) else 0
    title: str | None = ""
    if kind == "article_detail":
        article = (
            ArticleTranslation.objects.filter(article_id=pk, language=language, article__is_published=True)
            .only("title", "slug", "article_id")
            .first()
        )
        if article is None:
            return None
        # The article's own address (a renamed article's old slug redirects, but this one is right).
        with translation.override(language):
            path = reverse("article_detail", kwargs={"pk": article.article_id, "slug": article.slug})
        title = article.title
    elif kind == "section_detail":
        sections = SectionTranslation.objects.filter(section_id=pk, language=language)
        title = sections.values_list("title", flat=True).first()
    elif kind == "category_detail":
        categories = CategoryTranslation.objects.filter(category_id=pk, language=language)
        title = categories.values_list("title", flat=True).first()
    if title is None:
        return None
    return PageSeen(path=path, kind=kind, title=title[:TITLE_MAX_LENGTH])


def last_article(path: str) -> PageSeen | None:
    """The article the customer last read: an existing, published article's page, else None."""
    seen = page_seen(path)
    return seen if seen is not None and seen.kind == "article_detail" else None
