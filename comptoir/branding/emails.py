"""The branding in e-mails: what every e-mail template is given, the From, and the signature under the text part."""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.utils import translation

from comptoir.branding.selectors import Brand, brand_get


def email_brand_context(language: str, brand: Brand | None = None) -> dict[str, object]:
    """The name, logo address, colour and signature in ``language``, for emails/base-body.html."""
    brand = brand if brand is not None else brand_get()
    with translation.override(language):
        return {
            "site_name": brand.name,
            "brand_colour": brand.email_colour,
            # E-mails are read far from the site: the logo's address is absolute.
            "brand_logo_url": settings.COMPTOIR_BASE_URL + brand.logo_path if brand.logo_path else "",
            "brand_signature": brand.signature,
        }


def text_signed(text: str, signature: str) -> str:
    """The text part with the signature under it, after the usual "-- " separator (RFC 3676)."""
    if not signature:
        return text
    return f"{text.rstrip()}\n\n-- \n{signature}\n"


def sender(language: str, brand: Brand | None = None) -> str:
    """The From of our e-mails: the branding's name in ``language`` before the support address.

    "Support Acme <support@acme.example>": people recognise the team in their inbox.
    Without a name in the branding, the configured site name (COMPTOIR_SITE_NAME).
    formataddr quotes a name with commas or angle brackets and encodes one with accents
    (RFC 2047), so no name can add an address or break the header.
    """
    brand = brand if brand is not None else brand_get()
    with translation.override(language):
        name = " ".join(brand.name.split())
    return formataddr((name, settings.COMPTOIR_SUPPORT_EMAIL), charset="utf-8")
