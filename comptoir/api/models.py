"""What the API keeps of its own: the Idempotency-Key of each ticket created, files uploaded ahead; each for a day."""

from __future__ import annotations

import uuid

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


def upload_path(instance: Upload, filename: str) -> str:
    # A random name, as attachments have: the person's file name stays in the row.
    return f"api-uploads/{uuid.uuid4().hex}"


class Upload(models.Model):
    """A file sent ahead of the message that carries it (POST /api/v1/uploads/), checked as the web checks one.

    Only its uploader can attach it, once, within KEPT_FOR (comptoir.api.uploads);
    then the row and its file go, either into an attachment or to the purge.
    """

    # What the client quotes: random, though the owner check is what protects it.
    key = models.CharField(max_length=40, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=upload_path, max_length=200)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"upload {self.key} of user {self.owner_id}"
