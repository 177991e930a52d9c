from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HelpCenterConfig(AppConfig):
    name = "comptoir.helpcenter"
    label = "helpcenter"
    verbose_name = _("Help Center")

    def ready(self) -> None:
        from comptoir.core.purge import purger
        from comptoir.helpcenter.reads import daily_views_purge

        # The daily read counts older than the "Most read" lists look back, with a margin.
        purger("article_daily_views", daily_views_purge)
