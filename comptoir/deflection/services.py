"""Writes for the deflection report: what searches and the ticket form's suggestions did."""

from __future__ import annotations

import re

from django.db import transaction
from django.utils import timezone

from comptoir.deflection.models import QUERY_MAX_LENGTH, SUBJECT_KINDS, DeflectionEvent, EventKind
from comptoir.helpcenter.models import Article
from comptoir.helpcenter.search import search_terms

# A visit writes a handful of rows (its subjects, what it opened, how it ended);
# past this many a script is filling the table, not a person.
MAX_EVENTS_PER_VISIT = 40

_VISIT = re.compile(r"[0-9a-f]{32}")


class VisitLimitReached(Exception):
    """The visit already wrote as many events as a person could."""


class EventRefused(Exception):
    """The event does not follow from what the visit did (an abandon without an opened suggestion)."""


def normalise_query(text: str) -> str:
    """Lower-cased, whitespace collapsed; "" when there is no word to search for ("???", "--")."""
    if not search_terms(text):
        return ""
    return " ".join(text.lower().split())[:QUERY_MAX_LENGTH]


def is_visit(value: str) -> bool:
    return bool(_VISIT.fullmatch(value))


def _visit_events(visit: str) -> list[tuple[int, str, str, int | None]]:
    """The visit's events, newest first, one more than the cap so that a full visit shows."""
    rows = (
        DeflectionEvent.objects.filter(visit=visit)
        .order_by("-pk")
        .values_list("pk", "kind", "query", "article_id")[: MAX_EVENTS_PER_VISIT + 1]
    )
    return list(rows)


@transaction.atomic
def search_record(*, query: str, language: str) -> None:
    """A Help Center search found nothing: a candidate for the next article to write."""
    normalised = normalise_query(query)
    if normalised:
        DeflectionEvent.objects.create(kind=EventKind.SEARCH, query=normalised, language=language)


@transaction.atomic
def subject_record(*, visit: str, query: str, language: str, found: bool) -> None:
    """What the subject typed so far produced: suggestions, or no matching article.

    The subject is typed in several pauses ("export", "export csv", "export csv fails"):
    while the new text extends or shortens the visit's latest subject, that row is
    updated instead of adding one, so the report counts what people finally wrote,
    not each prefix. The same subject twice in a visit is recorded once.
    """
    normalised = normalise_query(query)
    events = _visit_events(visit)
    if not normalised or len(events) >= MAX_EVENTS_PER_VISIT:
        return
    kind = EventKind.SUGGESTIONS_SHOWN if found else EventKind.NO_SUGGESTION
    subjects = [(pk, text) for pk, event_kind, text, _article in events if event_kind in SUBJECT_KINDS]
    if subjects:
        latest_pk, latest = subjects[0]
        if normalised.startswith(latest) or latest.startswith(normalised):
            DeflectionEvent.objects.filter(pk=latest_pk).update(kind=kind, query=normalised, created_at=timezone.now())
            return
        if any(text == normalised for _pk, text in subjects):
            return
    DeflectionEvent.objects.create(kind=kind, query=normalised, language=language, visit=visit)


@transaction.atomic
def suggestion_event_record(*, visit: str, kind: EventKind, article: Article, language: str) -> None:
    """A suggestion was opened, or the form was left after opening one.

    Raises VisitLimitReached past the cap, EventRefused for an abandon with nothing opened.
    An article opened twice, or a form left twice (pagehide fires again after the
    back button restores the page), counts once per visit.
    """
    if kind not in (EventKind.OPENED, EventKind.ABANDONED):
        raise ValueError(kind)
    events = _visit_events(visit)
    if len(events) >= MAX_EVENTS_PER_VISIT:
        raise VisitLimitReached
    opened = {article_id for _pk, event_kind, _text, article_id in events if event_kind == EventKind.OPENED}
    if kind == EventKind.OPENED and article.pk in opened:
        return
    if kind == EventKind.ABANDONED:
        if article.pk not in opened:
            raise EventRefused
        if any(event_kind in (EventKind.ABANDONED, EventKind.TICKET_AFTER_OPEN) for _pk, event_kind, *_ in events):
            return
    DeflectionEvent.objects.create(kind=kind, article=article, language=language, visit=visit)


def ticket_after_open_record(*, visit: str, language: str) -> None:
    """The ticket form was sent after a suggestion was opened: the article did not answer.

    Costs no query, not even a savepoint, when the form carried no visit (no JavaScript).
    """
    if is_visit(visit):
        _ticket_after_open_record(visit=visit, language=language)


@transaction.atomic
def _ticket_after_open_record(*, visit: str, language: str) -> None:
    # An "abandoned" recorded earlier in the same visit is withdrawn: the person
    # came back and sent the form, so the request was not deflected after all.
    events = _visit_events(visit)
    opened = [article_id for _pk, kind, _text, article_id in events if kind == EventKind.OPENED]
    if not opened or any(kind == EventKind.TICKET_AFTER_OPEN for _pk, kind, *_ in events):
        return
    DeflectionEvent.objects.filter(visit=visit, kind=EventKind.ABANDONED).delete()
    # Newest first: the article read last is the one that did not answer.
    DeflectionEvent.objects.create(
        kind=EventKind.TICKET_AFTER_OPEN, article_id=opened[0], language=language, visit=visit
    )
