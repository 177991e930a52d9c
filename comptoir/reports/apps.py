from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "comptoir.reports"
    label = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Subscribes the rollups to the event backbone.
        from comptoir.reports import subscriber  # noqa: F401
