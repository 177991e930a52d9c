from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from comptoir.portal.log_filters import request_logs_scrub


class PortalConfig(AppConfig):
    """The requester's own space: "My tickets" and the help page on statuses."""

    name = "comptoir.portal"
    label = "portal"
    verbose_name = _("Customer space")

    def ready(self) -> None:
        from comptoir.core.purge import purger
        from comptoir.portal.pending import pending_purge

        request_logs_scrub()
        purger("portal_pending_files", pending_purge)
