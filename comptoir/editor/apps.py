from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EditorConfig(AppConfig):
    name = "comptoir.editor"
    label = "editor"
    verbose_name = _("Article editor")
