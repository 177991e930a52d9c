from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The requester's own space: "My tickets" and the help page on statuses."""

    name = "comptoir.portal"
    label = "portal"
