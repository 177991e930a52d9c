from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeflectionConfig(AppConfig):
    name = "comptoir.deflection"
    label = "deflection"
    verbose_name = _("Tickets avoided")
