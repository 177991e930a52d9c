from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """Outgoing webhooks: ticket events posted, signed, to the addresses admins subscribe (docs/api.md)."""

    name = "comptoir.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        # Subscribes the webhooks to the event backbone and registers the "webhook disabled" e-mail.
        from comptoir.core.purge import purger
        from comptoir.webhooks import emails, subscriber  # noqa: F401
        from comptoir.webhooks.services import deliveries_purge

        purger("webhook_deliveries", deliveries_purge)
