from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "comptoir.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        # Subscribes the SLA clocks to the event backbone.
        from comptoir.sla import subscriber  # noqa: F401
        from comptoir.sla.promise import first_reply_promise_text
        from comptoir.tickets.emails import first_answer_promise_register

        # The confirmation e-mail's "expect our answer by ..." (the tickets layer cannot import this one).
        first_answer_promise_register(first_reply_promise_text)
