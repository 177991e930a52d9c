from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RulesConfig(AppConfig):
    name = "comptoir.rules"
    label = "rules"
    verbose_name = _("Business rules")

    def ready(self) -> None:
        # Subscribes the triggers to the event backbone.
        from comptoir.rules import subscriber  # noqa: F401
