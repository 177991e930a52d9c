from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "comptoir.sla"
    label = "sla"
    verbose_name = _("Service levels")

    def ready(self) -> None:
        # Subscribes the SLA clocks to the event backbone.
        from django.db.models.signals import pre_delete

        from comptoir.sla import subscriber  # noqa: F401
        from comptoir.sla.models import AttainmentCounted
        from comptoir.sla.promise import first_reply_promise_text
        from comptoir.tickets.emails import first_answer_promise_register

        # The confirmation e-mail's "expect our answer by ..." (the tickets layer cannot import this one).
        first_answer_promise_register(first_reply_promise_text)
        # A ticket is deleted by the tickets layer (tickets.services.ticket_delete), which cannot call this
        # one: its AttainmentCounted row, deleted with it by the cascade, first takes its counts out of the
        # reports' daily attainment, in the same transaction.
        pre_delete.connect(_attainment_forget, sender=AttainmentCounted, dispatch_uid="comptoir.sla.attainment_forget")


def _attainment_forget(sender: object, instance: object, **kwargs: object) -> None:
    from comptoir.sla.attainment import attainment_forget
    from comptoir.sla.models import AttainmentCounted

    if isinstance(instance, AttainmentCounted):
        attainment_forget(instance)
