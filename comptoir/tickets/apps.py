from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "comptoir.tickets"
    label = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        # Registers the ticket e-mail builders with comptoir.mail.outbound.
        from comptoir.core.purge import purger

        # Registers status__among (comptoir.tickets.lookups), too.
        from comptoir.tickets import emails, lookups  # noqa: F401
        from comptoir.tickets.links import links_purge_expired
        from comptoir.tickets.orphan_files import attachments_purge_orphans

        purger("ticket_links", links_purge_expired)
        purger("orphan_attachment_files", attachments_purge_orphans)
