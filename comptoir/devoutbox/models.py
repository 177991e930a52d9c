from __future__ import annotations

from django.db import models


class CapturedEmail(models.Model):
    """An e-mail the development outbox caught instead of sending (DEBUG only)."""

    subject = models.CharField(max_length=998)
    from_address = models.CharField(max_length=320)
    to_addresses = models.TextField()
    raw = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.subject
