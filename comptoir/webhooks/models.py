"""Webhooks, what each is owed, and every attempt to hand it over.

A Webhook is an address an administrator subscribed to some event types. A
WebhookDelivery is one event owed to one webhook: its body is written once,
when the event is handled, so every attempt sends the same bytes under the same
``webhook-id`` (receivers deduplicate on it: delivery is at least once). A
WebhookAttempt is one try, kept for the admins to read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from comptoir.tickets.models import REFERENCE_OFFSET


class EventType(models.TextChoices):
    TICKET_CREATED = "ticket.created", _("Ticket created")
    TICKET_UPDATED = "ticket.updated", _("Ticket updated (status, priority, assignee, group, tags…)")
    TICKET_SOLVED = "ticket.solved", _("Ticket solved")
    MESSAGE_CREATED = "message.created", _("Message added (public reply or internal note)")
    SLA_BREACHED = "sla.breached", _("Service level breached")
    SURVEY_ANSWERED = "survey.answered", _("Satisfaction survey answered")


# Not subscribed to: sent when a business rule's action calls the webhook (webhook_call_for_rule).
RULE_CALLED = "rule.called"


class DisabledReason(models.TextChoices):
    FAILING = "failing", _("Every delivery failed for 24 hours")
    BY_ADMIN = "admin", _("Turned off by an administrator")


class Webhook(models.Model):
    url = models.URLField(_("URL"), max_length=2000)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list)
    # Standard Webhooks: "whsec_" and the base64 of 32 random bytes. Kept to sign, never shown again.
    secret = models.CharField(max_length=100)
    # After a rotation the old secret signs too, for a day, so receivers can switch without losing anything.
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("owner")
    )
    # Since when every attempt failed: a day of it disables the webhook.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=10, choices=DisabledReason.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("id",)
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Given up")


class WebhookDelivery(models.Model):
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # Not a foreign key: what was owed about a ticket is still shown after the ticket is deleted.
    ticket_id = models.BigIntegerField()
    event_type = models.CharField(max_length=40)
    event_id = models.BigIntegerField(null=True, blank=True)
    # The webhook-id header: the same on every attempt.
    message_id = models.CharField(max_length=60, unique=True)
    # The JSON body exactly as signed and sent.
    body = models.TextField()
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before this time: the back-off, or the lease of the worker sending it now.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Retried until then: a day after its first failed attempt (after an admin's "send again", afresh).
    retry_until = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-id",)
        indexes = [
            # The sender's question: what is due (and is it the oldest owed on its ticket?).
            models.Index(fields=("next_attempt_at",), condition=Q(state="pending"), name="webhook_delivery_due"),
            models.Index(
                fields=("webhook", "ticket_id", "id"), condition=Q(state="pending"), name="webhook_delivery_ticket"
            ),
            # The admins' list and the purge.
            models.Index(fields=("webhook", "-id"), name="webhook_delivery_list"),
            models.Index(fields=("finished_at",), name="webhook_delivery_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.message_id} → {self.webhook_id} ({self.state})"

    @property
    def ticket_reference(self) -> int:
        return self.ticket_id + REFERENCE_OFFSET


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField()
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # Why it failed when no answer came (refused address, timeout, connection refused...).
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)

    class Meta:
        ordering = ("-id",)
        indexes = [models.Index(fields=("delivery", "-id"), name="webhook_attempt_delivery")]

    def __str__(self) -> str:
        return f"attempt on {self.delivery_id}: {self.status_code or self.error}"
