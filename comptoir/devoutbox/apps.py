from __future__ import annotations

from django.apps import AppConfig


class DevOutboxConfig(AppConfig):
    name = "comptoir.devoutbox"
    label = "devoutbox"
