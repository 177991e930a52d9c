"""What the backbone still owes each subscriber: one row per change and interested subscriber.

A row is written in the same transaction as the change it announces, so a
change that commits is always handed on (at least once) and a change that rolls
back never is. The backbone knows a change only by its id and its ticket's id:
what happened is read by the subscriber from the domain's own history.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Done")
    FAILED = "failed", _("Given up")


class EventDelivery(models.Model):
    ticket_id = models.BigIntegerField(_("ticket"))
    change = models.UUIDField(_("change"))
    subscriber = models.CharField(_("subscriber"), max_length=60)
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ("id",)
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        constraints = [
            models.UniqueConstraint(fields=("change", "subscriber"), name="one_delivery_per_change_and_subscriber")
        ]
        indexes = [
            # The dispatcher's question: this subscriber's next change on this ticket.
            models.Index(
                fields=("subscriber", "ticket_id", "id"),
                condition=Q(state="pending"),
                name="delivery_pending_per_ticket",
            ),
            # The sweeper's and the admins' question: what is late or failing.
            models.Index(fields=("state", "next_attempt_at"), name="delivery_by_state"),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← change {self.change} on ticket {self.ticket_id} ({self.state})"
