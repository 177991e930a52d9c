"""E-mail in both directions, kept so that nothing is lost.

Outbound: one row per e-mail to send, created in the same transaction as the
change that causes it, delivered by a Celery task. The raw token a link carries
is created at delivery time, so no secret is ever written to this table.

Inbound: the raw message is stored byte for byte before anything else.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboundKind(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket received")
    TICKET_LINK = "ticket_link", _("New ticket link")
    AGENT_REPLY = "agent_reply", _("Agent reply")
    TICKET_SOLVED = "ticket_solved", _("Ticket solved")
    REQUESTER_REPLIED = "requester_replied", _("Requester replied (to the assignee)")


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(models.Model):
    kind = models.CharField(max_length=30, choices=OutboundKind.choices)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, null=True, blank=True, related_name="outbound_emails"
    )
    # The ticket message this e-mail carries, when it carries one.
    ticket_message = models.ForeignKey(
        "tickets.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    to_address = models.EmailField()
    language = models.CharField(max_length=8)
    status = models.CharField(max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    # The Message-ID we sent, so that replies (In-Reply-To/References) thread back.
    message_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=("status", "created_at"))]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address} ({self.status})"


class InboundStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    QUARANTINED = "quarantined", _("Quarantined")


class InboundEmail(models.Model):
    # One message is ingested once: its Message-ID, or its hash when it has none.
    dedup_key = models.CharField(max_length=300, unique=True)
    sha256 = models.CharField(max_length=64)
    raw = models.BinaryField()
    size = models.PositiveBigIntegerField()
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=InboundStatus.choices, default=InboundStatus.RECEIVED)
    message_id = models.CharField(max_length=300, blank=True, db_index=True)
    from_address = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=998, blank=True)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_emails"
    )
    quarantine_reason = models.TextField(blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-received_at",)

    def __str__(self) -> str:
        return f"inbound {self.pk} ({self.status})"
