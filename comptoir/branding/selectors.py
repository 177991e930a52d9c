"""The branding as pages and e-mails read it: one query, defaults filled in, nothing to check for None."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.urls import reverse
from django.utils import translation

from comptoir.branding import colours
from comptoir.branding.logos import EXTENSIONS
from comptoir.branding.models import SINGLETON_ID, Branding

# The colour the stylesheet and the e-mails ship with (comptoir/static/comptoir/app.css: --brand).
SHIPPED_COLOUR = "#0b5c70"


@dataclass(frozen=True)
class FooterLink:
    labels: dict[str, str]
    url: str

    @property
    def label(self) -> str:
        return _in_language(self.labels)


@dataclass(frozen=True)
class Brand:
    names: dict[str, str] = field(default_factory=dict)
    # "" while the shipped colour is kept: the pages then add no style of their own.
    colour: str = ""
    # The logo's address on this site ("" without a logo): its content's hash is in it.
    logo_path: str = ""
    footer_links: tuple[FooterLink, ...] = ()
    signatures: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The name in the active language, else in the other one, else the configured site name."""
        return _in_language(self.names) or settings.COMPTOIR_SITE_NAME

    @property
    def signature(self) -> str:
        return _in_language(self.signatures)

    @property
    def colour_dark(self) -> str:
        return colours.darker(self.colour) if self.colour else ""

    @property
    def colour_soft(self) -> str:
        return colours.softer(self.colour) if self.colour else ""

    @property
    def email_colour(self) -> str:
        return self.colour or SHIPPED_COLOUR


def _in_language(values: dict[str, str]) -> str:
    language = (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    return values.get(language) or next((value for value in values.values() if value), "")


def brand_from(row: Branding | None) -> Brand:
    if row is None:
        return Brand()
    logo_path = ""
    if row.logo and row.logo_hash:
        extension = EXTENSIONS.get(row.logo_content_type, "png")
        logo_path = reverse("branding_logo", args=[row.logo_hash, extension])
    links = tuple(
        FooterLink({"fr": link.get("label_fr", ""), "en": link.get("label_en", "")}, link.get("url", ""))
        for link in row.footer_links or []
        if link.get("url")
    )
    return Brand(
        names={"fr": row.name_fr, "en": row.name_en},
        colour=row.colour,
        logo_path=logo_path,
        footer_links=links,
        signatures={"fr": row.signature_fr, "en": row.signature_en},
    )


# Every page and e-mail reads the branding: the cache spares them the query. Other web
# processes see a change within CACHE_SECONDS; the one that saved it, at once (brand_forget).
CACHE_KEY = "comptoir:branding"
CACHE_SECONDS = 60


def brand_get() -> Brand:
    """The branding now: from the cache, else one query."""
    brand: Brand | None = cache.get(CACHE_KEY)
    if brand is None:
        brand = brand_from(Branding.objects.filter(pk=SINGLETON_ID).first())
        cache.set(CACHE_KEY, brand, CACHE_SECONDS)
    return brand


def brand_forget() -> None:
    cache.delete(CACHE_KEY)


_ON_REQUEST = "_comptoir_brand"


def brand_for_request(request: HttpRequest) -> Brand:
    """The branding for this request, read once however many templates ask for it."""
    brand = getattr(request, _ON_REQUEST, None)
    if brand is None:
        brand = brand_get()
        setattr(request, _ON_REQUEST, brand)
    return brand
