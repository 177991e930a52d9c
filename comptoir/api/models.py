"""What the API keeps of its own: the Idempotency-Key of each ticket created, for a day."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotencyKey(models.Model):
    """A ticket created under an ``Idempotency-Key``: the same key from the same owner gets this ticket back.

    Only hashes are kept: a key is the client's, it may say more than it should.
    """

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key_hash = models.CharField(max_length=64)
    # The request the key was first used with: the same key with another body is refused.
    request_hash = models.CharField(max_length=64)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("owner", "key_hash"), name="idempotency_key_per_owner")]

    def __str__(self) -> str:
        return f"idempotency key {self.key_hash[:8]}… of user {self.owner_id}"
