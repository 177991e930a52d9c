from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GatewayConfig(AppConfig):
    """The inbound gateway: mail in (MTA pipe, IMAP, providers' webhooks) to tickets. No models of its own."""

    name = "comptoir.gateway"
    label = "gateway"
    verbose_name = _("Inbound e-mail")

    def ready(self) -> None:
        # Connects the provider webhooks' inbound signal to the ingest path.
        from comptoir.gateway import webhooks  # noqa: F401
