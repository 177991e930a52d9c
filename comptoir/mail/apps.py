from __future__ import annotations

from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "comptoir.mail"
    label = "mail"

    def ready(self) -> None:
        # Connects the provider webhooks' inbound signal to the ingest path.
        from comptoir.mail import webhooks  # noqa: F401
