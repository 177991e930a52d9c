from __future__ import annotations

from django.apps import AppConfig


class GatewayConfig(AppConfig):
    """The inbound gateway: mail in (MTA pipe, IMAP, providers' webhooks) to tickets. No models of its own."""

    name = "comptoir.gateway"
    label = "gateway"

    def ready(self) -> None:
        # Connects the provider webhooks' inbound signal to the ingest path.
        from comptoir.gateway import webhooks  # noqa: F401
