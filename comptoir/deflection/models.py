"""What the Help Center's suggestions and searches did: the raw facts behind the deflection report.

No personal data: a visit is a random id the ticket form's script draws for
itself, never an IP address, a session key or an account.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from comptoir.helpcenter.models import Article

QUERY_MAX_LENGTH = 200
VISIT_LENGTH = 32


class EventKind(models.TextChoices):
    SEARCH = "search", _("Help Center search without a result")
    SUGGESTIONS_SHOWN = "suggestions_shown", _("Suggestions shown")
    NO_SUGGESTION = "no_suggestion", _("Subject without a matching article")
    OPENED = "opened", _("Suggestion opened")
    ABANDONED = "abandoned", _("Form left after opening a suggestion")
    TICKET_AFTER_OPEN = "ticket_after_open", _("Ticket sent after opening a suggestion")


# What the ticket form's subject produced; one row per visit and subject.
SUBJECT_KINDS = (EventKind.SUGGESTIONS_SHOWN, EventKind.NO_SUGGESTION)


class DeflectionEvent(models.Model):
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    # Lower-cased, whitespace collapsed: "Export  CSV" and "export csv" count together.
    query = models.CharField(max_length=QUERY_MAX_LENGTH, blank=True)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=8)
    visit = models.CharField(max_length=VISIT_LENGTH, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "kind"], name="deflection_period_kind"),
            models.Index(fields=["visit"], name="deflection_visit"),
        ]
        verbose_name = _("deflection event")
        verbose_name_plural = _("deflection events")

    def __str__(self) -> str:
        return f"{self.kind} {self.query or self.article_id}"
