from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketFormsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "comptoir.ticketforms"
    verbose_name = _("Ticket forms")

    def ready(self) -> None:
        # The ticket search reads field:<key>=<value> through us: comptoir.tickets never imports this app.
        from comptoir.ticketforms.selectors import field_filter
        from comptoir.tickets.search import FILTERS_ELSEWHERE

        FILTERS_ELSEWHERE["field"] = field_filter
