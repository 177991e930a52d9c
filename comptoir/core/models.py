"""Small shared tables: abuse counters and spent captcha challenges.

Both live in the database rather than in process memory because web nodes and
workers may be many (see ARCHITECTURE.md, topologies).
"""

from __future__ import annotations

from django.db import models


class RateLimitCounter(models.Model):
    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=("key", "window_start"), name="ratelimit_one_row_per_window")]
        indexes = [models.Index(fields=("window_start",))]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start}: {self.count}"


class SpentChallenge(models.Model):
    """A solved captcha challenge, kept until it expires so it cannot be replayed."""

    signature = models.CharField(max_length=128, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"spent challenge until {self.expires_at}"
