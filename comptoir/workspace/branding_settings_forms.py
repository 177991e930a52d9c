"""The branding page's form: names, logo, colour, footer links and signature, checked where the admin reads why.

The colour's contrast and the logo's format are comptoir.branding's rules: the
form asks them, so the refusal shows under the field, with the ratio.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from comptoir.branding.logos import logo_prepare
from comptoir.branding.models import Branding
from comptoir.branding.services import MAX_FOOTER_LINKS, FooterLinkInput, colour_check


class BrandingForm(forms.Form):
    name_fr = forms.CharField(label=_("Name in French"), max_length=80, required=False)
    name_en = forms.CharField(label=_("Name in English"), max_length=80, required=False)
    colour = forms.CharField(
        label=_("Main colour"),
        max_length=7,
        required=False,
        help_text=_(
            "A hex code such as #0b5c70, for buttons and links. White text must stay readable on it: "
            "a contrast of 4.5:1 at least. Empty: Comptoir's colour."
        ),
        widget=forms.TextInput(attrs={"placeholder": "#0b5c70", "spellcheck": "false", "autocomplete": "off"}),
    )
    logo = forms.FileField(
        label=_("Logo"),
        required=False,
        help_text=_("PNG, JPEG or WebP, 2 MB at most; it is scaled down to 96 pixels high. SVG files are refused."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/webp"}),
    )
    logo_remove = forms.BooleanField(label=_("Remove the logo"), required=False)
    signature_fr = forms.CharField(
        label=_("E-mail signature in French"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
    signature_en = forms.CharField(
        label=_("E-mail signature in English"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Plain text, under every e-mail sent to customers."),
    )

    def __init__(self, *args: Any, branding: Branding | None = None, **kwargs: Any) -> None:
        if branding is not None:
            initial: dict[str, object] = {
                "name_fr": branding.name_fr,
                "name_en": branding.name_en,
                "colour": branding.colour,
                "signature_fr": branding.signature_fr,
                "signature_en": branding.signature_en,
            }
            for number, link in enumerate(branding.footer_links or [], start=1):
                for key in ("label_fr", "label_en", "url"):
                    initial[f"link_{number}_{key}"] = link.get(key, "")
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        self.has_logo = bool(branding is not None and branding.logo)
        for number in range(1, MAX_FOOTER_LINKS + 1):
            self.fields[f"link_{number}_label_fr"] = forms.CharField(
                label=_("Label in French"), max_length=60, required=False
            )
            self.fields[f"link_{number}_label_en"] = forms.CharField(
                label=_("Label in English"), max_length=60, required=False
            )
            self.fields[f"link_{number}_url"] = forms.URLField(
                label=_("Address"), max_length=500, required=False, assume_scheme="https"
            )

    def link_rows(self) -> list[tuple[int, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (n, self[f"link_{n}_label_fr"], self[f"link_{n}_label_en"], self[f"link_{n}_url"])
            for n in range(1, MAX_FOOTER_LINKS + 1)
        ]

    def clean_colour(self) -> str:
        return colour_check(self.cleaned_data["colour"])

    def clean_logo(self) -> object:
        upload = self.cleaned_data.get("logo")
        if not upload:
            return None
        return logo_prepare(upload.read())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        links = []
        for number in range(1, MAX_FOOTER_LINKS + 1):
            label_fr = data.get(f"link_{number}_label_fr", "")
            label_en = data.get(f"link_{number}_label_en", "")
            url = data.get(f"link_{number}_url", "")
            if not (label_fr or label_en or url):
                continue
            if not url:
                self.add_error(f"link_{number}_url", ValidationError(_("Give the link's address."), code="required"))
            elif not url.startswith("https://"):
                self.add_error(
                    f"link_{number}_url", ValidationError(_("The address must start with https://."), code="https")
                )
            if not (label_fr or label_en):
                self.add_error(f"link_{number}_label_fr", ValidationError(_("Give the link a label."), code="required"))
            links.append(FooterLinkInput(label_fr=label_fr, label_en=label_en, url=url))
        data["footer_links"] = links
        return data
