from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "comptoir.notifications"
    label = "notifications"

    def ready(self) -> None:
        # Subscribes the ticket e-mails to the event backbone.
        from comptoir.notifications import subscriber  # noqa: F401
