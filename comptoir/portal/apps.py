from __future__ import annotations

from django.apps import AppConfig

from comptoir.portal.log_filters import request_logs_scrub


class PortalConfig(AppConfig):
    """The requester's own space: "My tickets" and the help page on statuses."""

    name = "comptoir.portal"
    label = "portal"

    def ready(self) -> None:
        request_logs_scrub()
