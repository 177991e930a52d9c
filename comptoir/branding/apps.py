from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy


class BrandingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "comptoir.branding"
    verbose_name = gettext_lazy("Branding")
