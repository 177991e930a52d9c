from __future__ import annotations

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.accounts.models import ApiScope

NEVER = "never"
LIFETIMES = [
    ("30", _("In 30 days")),
    ("90", _("In 90 days")),
    ("365", _("In a year")),
    (NEVER, _("Never")),
]


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, so you know which one to revoke: “CRM”, “nightly export”."),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=ApiScope.choices,
        initial=ApiScope.READ,
        widget=forms.RadioSelect,
        help_text=_("Read only is enough for reports and exports."),
    )
    lifetime = forms.ChoiceField(label=_("Expires"), choices=LIFETIMES, initial="90")

    def expires_at(self) -> datetime | None:
        lifetime = self.cleaned_data["lifetime"]
        return None if lifetime == NEVER else timezone.now() + timedelta(days=int(lifetime))
