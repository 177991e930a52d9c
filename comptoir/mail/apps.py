from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "comptoir.mail"
    label = "mail"
    verbose_name = _("E-mail")

    def ready(self) -> None:
        from comptoir.core.purge import purger
        from comptoir.mail.raw_store import raw_purge_orphans

        # Raw e-mail files whose row was never committed (comptoir.mail.raw_store).
        purger("orphan_inbound_email_files", raw_purge_orphans)
