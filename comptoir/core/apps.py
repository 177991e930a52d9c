from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "comptoir.core"
    label = "core"
