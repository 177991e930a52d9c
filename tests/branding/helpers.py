from __future__ import annotations

from comptoir.branding.logos import logo_prepare
from comptoir.branding.models import Branding
from comptoir.branding.services import FooterLinkInput, branding_update
from tests.branding.conftest import image_bytes


def brand_everything(*, with_logo: bool = True) -> Branding:
    return branding_update(
        name_fr="Assistance Exemple",
        name_en="Example Support",
        colour="#1d4ed8",
        footer_links=[FooterLinkInput("Confidentialité", "Privacy", "https://example.com/privacy")],
        signature_fr="Équipe Exemple\n01 23 45 67 89",
        signature_en="The Example team\n+33 1 23 45 67 89",
        logo=logo_prepare(image_bytes()) if with_logo else None,
    )


def brand_nothing() -> Branding:
    """A branding row with every field left empty: it must look as no row does."""
    return branding_update(name_fr="", name_en="", colour="", footer_links=[], signature_fr="", signature_en="")
