"""Satisfaction surveys: one per resolution, answered only by a deliberate POST.

The e-mail carries a random token (its SHA-256 is stored); the page it opens
shows the question and records nothing until the person submits, so a mail
scanner that follows the link changes nothing. The answer can be changed while
the ticket stays solved; reopening withdraws the survey, closing freezes it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.tickets.history import event_record
from comptoir.tickets.models import EventKind, Status, Survey, Ticket
from comptoir.tickets.tokens import token_hash, token_looks_valid, token_new

RATINGS = (1, 2, 3, 4, 5)


class SurveyClosed(Exception):
    """The survey was withdrawn (ticket reopened) or frozen (ticket closed)."""


def survey_issue_token(survey: Survey) -> str:
    """A fresh link token for the survey (an earlier one stops working)."""
    raw = token_new()
    Survey.objects.filter(pk=survey.pk).update(token_hash=token_hash(raw))
    return raw


def survey_url(raw_token: str, language: str) -> str:
    with translation.override(language):
        return settings.COMPTOIR_BASE_URL + reverse("survey", args=[raw_token])


def survey_for_token(raw_token: str) -> Survey | None:
    if not token_looks_valid(raw_token):
        return None
    return Survey.objects.select_related("ticket").filter(token_hash=token_hash(raw_token)).first()


def survey_is_open(survey: Survey) -> bool:
    return survey.withdrawn_at is None and survey.ticket.status == Status.SOLVED


@transaction.atomic
def survey_answer(survey: Survey, *, rating: int, comment: str) -> None:
    if rating not in RATINGS:
        raise ValueError(f"rating must be one of {RATINGS}")
    ticket = Ticket.objects.select_for_update().get(pk=survey.ticket_id)
    survey = Survey.objects.select_for_update().select_related("ticket").get(pk=survey.pk)
    if not survey_is_open(survey):
        raise SurveyClosed
    survey.rating = rating
    survey.comment = comment.strip()[:5000]
    survey.answered_at = timezone.now()
    survey.save(update_fields=["rating", "comment", "answered_at"])
    Ticket.objects.filter(pk=ticket.pk).update(satisfaction_rating=rating)
    event_record(ticket, actor=ticket.requester, kind=EventKind.SATISFACTION, new=f"{rating}/5")
