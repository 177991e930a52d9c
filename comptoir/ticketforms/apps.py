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
        from comptoir.ticketforms.solving import solve_guard
        from comptoir.tickets.search import FILTERS_ELSEWHERE
        from comptoir.tickets.solve_guards import solve_guard_register

        FILTERS_ELSEWHERE["field"] = field_filter
        # Fields required to solve hold back every agent's and rule's "solved" (comptoir.tickets.solve_guards).
        solve_guard_register(solve_guard)
