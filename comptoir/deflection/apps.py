from __future__ import annotations

from django.apps import AppConfig


class DeflectionConfig(AppConfig):
    name = "comptoir.deflection"
    label = "deflection"
