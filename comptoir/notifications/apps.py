from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "comptoir.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # Subscribes the ticket e-mails, the agents' notices and what business rules tell to the event backbone.
        from comptoir.notifications import rule_tellings, subscriber  # noqa: F401
