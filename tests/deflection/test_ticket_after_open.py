"""A ticket sent from a form visit that opened a suggestion: the article did not answer."""

from __future__ import annotations

import pytest

from comptoir.deflection.models import DeflectionEvent, EventKind
from comptoir.deflection.services import suggestion_event_record, ticket_after_open_record
from comptoir.tickets.models import Ticket
from tests.conftest import solved_captcha
from tests.deflection.conftest import OTHER_VISIT, VISIT, url

pytestmark = pytest.mark.django_db


def send(client, visit: str, language: str = "en"):
    data = {
        "email": "alice@example.org",
        "name": "Alice Martin",
        "ticket_type": "question",
        "subject": "Export fails",
        "description": "I click Export and nothing happens.",
        "altcha": solved_captcha(),
        "website": "",
        "suggestion_visit": visit,
    }
    response = client.post(url("ticket_new", language), data)
    assert response.status_code == 302, response.content.decode()[:500]
    return response


@pytest.fixture
def articles(write):
    return [write(key, "en", key.title(), "Text.").article for key in ("first", "second")]


def test_it_records_the_ticket_against_the_article_read_last(client, articles):
    for article in articles:
        suggestion_event_record(visit=VISIT, kind=EventKind.OPENED, article=article, language="en")

    send(client, VISIT, language="fr")

    assert Ticket.objects.count() == 1
    event = DeflectionEvent.objects.get(kind=EventKind.TICKET_AFTER_OPEN)
    assert (event.article_id, event.visit, event.language) == (articles[1].pk, VISIT, "fr")


def test_it_withdraws_the_abandon_when_the_person_came_back_and_sent(client, articles):
    suggestion_event_record(visit=VISIT, kind=EventKind.OPENED, article=articles[0], language="en")
    suggestion_event_record(visit=VISIT, kind=EventKind.ABANDONED, article=articles[0], language="en")

    send(client, VISIT)

    kinds = sorted(DeflectionEvent.objects.values_list("kind", flat=True))
    assert kinds == [EventKind.OPENED, EventKind.TICKET_AFTER_OPEN]


def test_it_records_nothing_without_an_opened_suggestion(client, articles):
    suggestion_event_record(visit=OTHER_VISIT, kind=EventKind.OPENED, article=articles[0], language="en")

    for visit in ("", "forged", VISIT):
        send(client, visit)

    assert Ticket.objects.count() == 3
    assert list(DeflectionEvent.objects.values_list("kind", flat=True)) == [EventKind.OPENED]


def test_it_keeps_the_visit_when_the_form_comes_back_with_errors(client):
    response = client.post(url("ticket_new"), {"subject": "Export", "suggestion_visit": VISIT})

    assert response.status_code == 200
    assert f'name="suggestion_visit" value="{VISIT}"' in response.content.decode()


def test_it_shows_the_suggestions_region_and_script_on_the_form(client):
    html = client.get(url("ticket_new", "fr")).content.decode()

    assert "data-suggestions\n" in html
    assert 'role="status" aria-live="polite" data-suggestions-status' in html
    assert 'data-url="/fr/tickets/suggestions/"' in html
    assert 'data-events-url="/fr/tickets/suggestions/events/"' in html
    assert "comptoir/suggestions.js" in html
    assert 'name="suggestion_visit" value=""' in html


def test_it_costs_nothing_when_the_form_has_no_visit(django_assert_num_queries):
    with django_assert_num_queries(0):
        ticket_after_open_record(visit="", language="en")
