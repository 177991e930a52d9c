"""The one write path for the branding."""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext

from comptoir.branding import colours
from comptoir.branding.logos import Logo
from comptoir.branding.models import SINGLETON_ID, Branding
from comptoir.branding.selectors import brand_forget

MAX_FOOTER_LINKS = 5


@dataclass(frozen=True)
class FooterLinkInput:
    label_fr: str
    label_en: str
    url: str


def colour_check(value: str) -> str:
    """``value`` as ``#rrggbb``, "" for the shipped colour, or ValidationError naming the contrast it lacks."""
    if not value.strip():
        return ""
    colour = colours.normalise(value)
    if colour is None:
        raise ValidationError(gettext("Write the colour as a hex code, such as #0b5c70."), code="colour_format")
    ratio = colours.contrast(colour, colours.WHITE)
    if ratio < colours.AA_NORMAL_TEXT:
        raise ValidationError(
            gettext(
                "This colour's contrast with white is %(ratio)s:1; buttons (white text on it) and links "
                "(it on white) need at least 4.5:1 to be readable (WCAG AA). Choose a darker colour."
            )
            # Two decimals, never rounded up to a pass: 4.499 reads 4.49, not 4.50.
            % {"ratio": number_format(math.floor(ratio * 100) / 100, decimal_pos=2)},
            code="colour_contrast",
        )
    return colour


@transaction.atomic
def branding_update(
    *,
    name_fr: str,
    name_en: str,
    colour: str,
    footer_links: list[FooterLinkInput],
    signature_fr: str,
    signature_en: str,
    logo: Logo | None = None,
    logo_remove: bool = False,
) -> Branding:
    """Save the branding; a new logo replaces the old one, whose file goes once the change is committed."""
    if len(footer_links) > MAX_FOOTER_LINKS:
        raise ValidationError(gettext("Five footer links at most."), code="footer_links")
    for link in footer_links:
        if not link.url.startswith("https://"):
            raise ValidationError(gettext("Footer links must start with https://."), code="footer_url")
    row, _ = Branding.objects.select_for_update().get_or_create(pk=SINGLETON_ID)
    row.name_fr, row.name_en = name_fr.strip(), name_en.strip()
    row.colour = colour_check(colour)
    row.footer_links = [
        {"label_fr": link.label_fr.strip(), "label_en": link.label_en.strip(), "url": link.url.strip()}
        for link in footer_links
    ]
    row.signature_fr, row.signature_en = signature_fr.strip(), signature_en.strip()
    old_file = row.logo.name if row.logo else ""
    if logo is not None:
        row.logo.save(f"logo.{logo.extension}", ContentFile(logo.content), save=False)
        row.logo_hash, row.logo_content_type = logo.digest, logo.content_type
    elif logo_remove:
        row.logo, row.logo_hash, row.logo_content_type = "", "", ""
    row.save()
    # Forgotten now for this process's next read, and again once committed: a page read
    # between the two would otherwise cache the row as it was.
    brand_forget()
    transaction.on_commit(brand_forget)
    if old_file and old_file != (row.logo.name if row.logo else ""):
        storage = row.logo.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    return row
