"""Small shared tables: abuse counters and spent captcha challenges.

Both live in the database rather than in process memory because web nodes and
workers may be many (see ARCHITECTURE.md, topologies).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RateLimitCounter(models.Model):
    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("key", "window_start"), name="ratelimit_one_row_per_window")]
        indexes = [models.Index(fields=("window_start",))]
        verbose_name = _("rate limit counter")
        verbose_name_plural = _("rate limit counters")

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"


class SpentChallenge(models.Model):
    """A solved captcha challenge, kept until it expires so it cannot be replayed."""

    signature = models.CharField(max_length=128, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("spent captcha challenge")
        verbose_name_plural = _("spent captcha challenges")

    def __str__(self) -> str:
        return f"spent challenge until {self.expires_at}"
