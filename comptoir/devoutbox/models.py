from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class CapturedEmail(models.Model):
    """An e-mail the development outbox caught instead of sending (DEBUG only)."""

    subject = models.CharField(max_length=998)
    from_address = models.CharField(max_length=320)
    to_addresses = models.TextField()
    raw = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("captured e-mail")
        verbose_name_plural = _("captured e-mails")

    def __str__(self) -> str:
        return self.subject
