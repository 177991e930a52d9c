"""The satisfaction survey page, opened from the link of a really delivered "solved" e-mail."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.rules.automations import automations_run
from comptoir.tickets.models import Channel, EventKind, Status, Survey, Ticket
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent

pytestmark = pytest.mark.django_db

SURVEY_URL = re.compile(r"http://testserver(/[a-z]{2}/surveys/[^/\s]+/)")


@pytest.fixture
def solved(make_ticket, agent, mailoutbox) -> tuple[Ticket, str]:
    """A solved ticket and the survey address its delivered e-mail carries."""
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, body="Fixed in 2.3.", status="solved")
    email = OutboundEmail.objects.get(kind=OutboundKind.TICKET_SOLVED)
    assert email_deliver(email.pk) is True
    found = SURVEY_URL.search(mailoutbox[-1].body)
    assert found is not None, mailoutbox[-1].body
    ticket.refresh_from_db()
    return ticket, found.group(1)


def survey_of(ticket: Ticket) -> Survey:
    return Survey.objects.get(ticket=ticket)


def nothing_recorded(ticket: Ticket) -> bool:
    survey = survey_of(ticket)
    ticket.refresh_from_db()
    return (
        survey.rating is None
        and survey.answered_at is None
        and ticket.satisfaction_rating is None
        and not ticket.events.filter(kind=EventKind.SATISFACTION).exists()
    )


def checked_rating(content: str) -> list[str]:
    return re.findall(r'<input type="radio" name="rating" value="(\d)"[^>]*\bchecked\b', content)


def test_it_records_nothing_when_the_link_is_followed(client, solved):
    ticket, address = solved

    for query in ("", "?rating=5", "?rating=1&saved=1"):
        assert client.get(address + query).status_code == 200

    assert nothing_recorded(ticket)


def test_it_preselects_the_rating_of_a_one_click_link(client, solved):
    _, address = solved

    assert checked_rating(client.get(address + "?rating=4").content.decode()) == ["4"]
    assert checked_rating(client.get(address).content.decode()) == []
    assert checked_rating(client.get(address + "?rating=9").content.decode()) == []


def test_it_records_the_answer_on_post_and_thanks(client, solved):
    ticket, address = solved

    response = client.post(address, {"rating": "5", "comment": "  Very quick, thank you!  "})

    assert response.status_code == 302
    assert response.headers["Location"] == address + "?saved=1"
    survey = survey_of(ticket)
    assert (survey.rating, survey.comment) == (5, "Very quick, thank you!")
    assert survey.answered_at is not None
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating == 5
    assert "Thank you! Your answer is recorded." in client.get(response.headers["Location"]).content.decode()


def test_it_lets_the_answer_change_while_the_ticket_stays_solved(client, solved):
    ticket, address = solved
    client.post(address, {"rating": "5", "comment": ""})

    page = client.get(address).content.decode()
    assert checked_rating(page) == ["5"]
    client.post(address, {"rating": "2", "comment": "It broke again an hour later."})

    survey = survey_of(ticket)
    assert (survey.rating, survey.comment) == (2, "It broke again an hour later.")
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating == 2


def test_it_keeps_the_comment_when_the_rating_is_invalid(client, solved):
    ticket, address = solved

    response = client.post(address, {"rating": "9", "comment": "My carefully typed comment"})

    assert response.status_code == 400
    assert "My carefully typed comment" in response.content.decode()
    assert nothing_recorded(ticket)


def test_it_withdraws_the_survey_when_the_ticket_is_reopened(client, solved):
    ticket, address = solved
    ticket_reply_by_requester(ticket=ticket, body="Still broken", channel=Channel.WEB)

    page = client.get(address).content.decode()
    client.post(address, {"rating": "1", "comment": "Angry"})

    assert "This request was opened again, so this survey is closed." in page
    assert 'name="rating"' not in page
    assert nothing_recorded(ticket)


def test_it_freezes_the_answer_once_the_ticket_is_closed(client, solved, settings):
    ticket, address = solved
    client.post(address, {"rating": "4", "comment": "Fine"})
    later = timezone.now() + timedelta(days=settings.COMPTOIR_AUTO_CLOSE_DAYS + 1)
    assert automations_run(now=later) == 1  # the default "Close tickets solved for N days"

    response = client.post(address, {"rating": "1", "comment": "Changed my mind"})

    assert "This request is closed, so its survey can no longer be changed." in response.content.decode()
    survey = survey_of(ticket)
    assert (survey.rating, survey.comment) == (4, "Fine")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.satisfaction_rating) == (Status.CLOSED, 4)


def test_it_answers_404_to_an_unknown_token(client, solved):
    ticket, _ = solved
    with translation.override("en"):
        unknown = reverse("survey", args=["x" * 43])

    assert client.get(unknown).status_code == 404
    assert client.post(unknown, {"rating": "5"}).status_code == 404
    assert nothing_recorded(ticket)


def test_it_keeps_the_address_out_of_referers_and_caches(client, solved):
    _, address = solved
    with translation.override("en"):
        unknown = reverse("survey", args=["x" * 43])

    responses = {
        "page": client.get(address),
        "invalid": client.post(address, {"rating": "0"}),
        "saved": client.post(address, {"rating": "3"}),
        "unknown": client.get(unknown),
    }

    for name, response in responses.items():
        # Same-origin, never no-referrer: Chromium would post the form with "Origin: null" (CSRF refuses it).
        assert response.headers.get("Referrer-Policy") == "same-origin", name
        assert "no-store" in response.headers.get("Cache-Control", ""), name


def test_it_puts_nothing_but_the_token_in_the_address(solved, mailoutbox):
    ticket, address = solved

    assert re.fullmatch(r"/en/surveys/[A-Za-z0-9_-]{43}/", address)
    html = mailoutbox[-1].alternatives[0][0]
    links = set(re.findall(r"http://testserver/[a-z]{2}/surveys/[^\"'\s<]+", html + mailoutbox[-1].body))
    assert links, html
    for link in links:
        assert str(ticket.reference) not in link
        assert "alice" not in link.lower() and "%40" not in link and "@" not in link


def test_it_enforces_csrf_on_the_answer(solved):
    ticket, address = solved
    browser = Client(enforce_csrf_checks=True)

    assert browser.get(address).status_code == 200
    response = browser.post(address, {"rating": "5", "comment": "forged"})

    assert response.status_code == 403
    assert nothing_recorded(ticket)
