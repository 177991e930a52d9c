"""The webhook page's form: an address, a description, the event types it wants, on or off.

Whether the address may be posted to (http(s), a public address once resolved)
is comptoir.webhooks' word: the form asks it, so the admin reads why at once.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from comptoir.webhooks.models import EventType, Webhook
from comptoir.webhooks.services import url_check


class WebhookForm(forms.Form):
    url = forms.URLField(
        label=_("Address (URL)"),
        max_length=2000,
        assume_scheme="https",
        help_text=_("Where each event is posted, as JSON. It must be reachable on the Internet."),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false", "class": "wide-input"}),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("What receives it, for the next admin: “CRM sync”, “status page”."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, webhook: Webhook | None = None, **kwargs: Any) -> None:
        self.webhook = webhook
        if webhook is not None:
            kwargs.setdefault(
                "initial",
                {
                    "url": webhook.url,
                    "description": webhook.description,
                    "event_types": webhook.event_types,
                    "active": webhook.active,
                },
            )
        super().__init__(*args, **kwargs)
        if webhook is None:
            del self.fields["active"]  # a new webhook starts active

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if self.webhook is None or url != self.webhook.url:
            try:
                url_check(url)
            except ValidationError as error:
                raise ValidationError(error.messages, code="address") from error
        return url
