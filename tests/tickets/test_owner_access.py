"""A signed-in requester with a verified address does on their ticket page all a guest with the secret link does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Attachment, Message, Status, Survey, Ticket
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from tests.conftest import png_attachment, png_bytes, png_upload

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def ticket(make_ticket) -> Ticket:
    return make_ticket(files=[png_attachment()])


def as_guest_with_link(client: Client, ticket: Ticket) -> None:
    client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))


def as_verified_owner(client: Client, ticket: Ticket) -> None:
    email_address_record(user=ticket.requester, verified=True)
    client.force_login(ticket.requester)


def as_unverified_owner(client: Client, ticket: Ticket) -> None:
    client.force_login(ticket.requester)


def as_other_requester(client: Client, ticket: Ticket) -> None:
    other = User.objects.create_user("bob@example.org", password="bob-pass")
    email_address_record(user=other, verified=True)
    client.force_login(other)


def as_anonymous(client: Client, ticket: Ticket) -> None:
    pass


ALLOWED: list[Callable[[Client, Ticket], None]] = [as_guest_with_link, as_verified_owner]
REFUSED: list[Callable[[Client, Ticket], None]] = [as_unverified_owner, as_other_requester, as_anonymous]


@pytest.mark.parametrize("enter", ALLOWED)
def test_it_opens_the_ticket_page_and_its_public_attachments(client, ticket, enter):
    enter(client, ticket)
    page = client.get(url("ticket_detail", ticket.reference))
    assert page.status_code == 200
    assert "Export fails" in page.content.decode()
    attachment = Attachment.objects.get(ticket=ticket)
    download = client.get(url("attachment_download", ticket.reference, attachment.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == png_bytes()


@pytest.mark.parametrize("enter", ALLOWED)
def test_it_keeps_internal_attachments_hidden(client, ticket, agent, enter):
    ticket_update_by_agent(ticket, agent=agent, body="Log from the server", is_public=False, files=[png_attachment()])
    enter(client, ticket)
    internal = Attachment.objects.get(message__is_public=False)
    assert client.get(url("attachment_download", ticket.reference, internal.pk)).status_code == 404


@pytest.mark.parametrize("enter", ALLOWED)
def test_it_replies_with_a_file(client, ticket, enter):
    enter(client, ticket)
    response = client.post(
        url("ticket_reply", ticket.reference), {"body": "Here is a screenshot.", "attachments": [png_upload()]}
    )
    message = Message.objects.filter(ticket=ticket).last()
    assert message is not None and message.body == "Here is a screenshot."
    assert response.headers["Location"] == url("ticket_detail", ticket.reference) + f"#message-{message.pk}"
    assert message.attachments.get().filename == "screenshot.png"


@pytest.mark.parametrize("enter", ALLOWED)
def test_it_marks_the_ticket_solved_and_offers_the_survey_on_the_page(client, ticket, enter):
    enter(client, ticket)
    assert "This is solved" in client.get(url("ticket_detail", ticket.reference)).content.decode()
    response = client.post(url("ticket_solve", ticket.reference))
    assert response.headers["Location"] == url("ticket_detail", ticket.reference)
    ticket.refresh_from_db()
    assert ticket.status == Status.SOLVED
    page = client.get(url("ticket_detail", ticket.reference)).content.decode()
    assert "Thank you! Your request is marked as solved." in page
    assert "This is solved" not in page
    assert f'action="{url("ticket_survey", ticket.reference)}"' in page


@pytest.mark.parametrize("enter", ALLOWED)
def test_it_records_the_survey_answered_on_the_ticket_page(client, ticket, agent, enter):
    ticket_update_by_agent(ticket, agent=agent, body="Fixed in 4.3.", status=Status.SOLVED)
    enter(client, ticket)
    assert "How did we do?" in client.get(url("ticket_detail", ticket.reference)).content.decode()
    invalid = client.post(url("ticket_survey", ticket.reference), {"comment": "Quick"})
    assert invalid.status_code == 400
    assert "Please choose a rating from 1 to 5." in invalid.content.decode()
    response = client.post(url("ticket_survey", ticket.reference), {"rating": "5", "comment": "Quick, thanks"})
    assert response.headers["Location"] == url("ticket_detail", ticket.reference)
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.rating, survey.comment) == (5, "Quick, thanks")
    ticket.refresh_from_db()
    assert ticket.satisfaction_rating == 5
    page = client.get(url("ticket_detail", ticket.reference)).content.decode()
    assert "Thank you! Your answer is recorded." in page
    # Answered: the card is gone (the e-mailed link still lets the person change their answer).
    assert "How did we do?" not in page


def test_it_shows_no_survey_once_it_is_withdrawn(client, ticket, agent):
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status=Status.SOLVED)
    ticket.refresh_from_db()
    ticket_set_status(ticket, Status.OPEN, actor=agent)
    as_verified_owner(client, ticket)
    assert "How did we do?" not in client.get(url("ticket_detail", ticket.reference)).content.decode()
    client.post(url("ticket_survey", ticket.reference), {"rating": "1"})
    assert Survey.objects.get(ticket=ticket).rating is None


@pytest.mark.parametrize("enter", REFUSED)
def test_it_answers_404_to_everyone_else(client, ticket, agent, enter):
    ticket_update_by_agent(ticket, agent=agent, body="Fixed.", status=Status.SOLVED)
    ticket.refresh_from_db()
    ticket_set_status(ticket, Status.OPEN, actor=agent)
    ticket_update_by_agent(ticket, agent=agent, body="Fixed again.", status=Status.SOLVED)
    enter(client, ticket)
    attachment = Attachment.objects.get(ticket=ticket)
    assert client.get(url("ticket_detail", ticket.reference)).status_code == 404
    assert client.get(url("attachment_download", ticket.reference, attachment.pk)).status_code == 404
    reply = client.post(url("ticket_reply", ticket.reference), {"body": "Hi", "attachments": [png_upload()]})
    assert reply.status_code == 404
    assert client.post(url("ticket_survey", ticket.reference), {"rating": "1"}).status_code == 404
    assert client.post(url("ticket_account", ticket.reference)).status_code == 404
    ticket.refresh_from_db()
    ticket_set_status(ticket, Status.OPEN, actor=agent)
    assert client.post(url("ticket_solve", ticket.reference)).status_code == 404
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert Message.objects.filter(ticket=ticket, body="Hi").count() == 0
    assert not Survey.objects.filter(ticket=ticket, rating__isnull=False).exists()


def test_it_lets_an_agent_see_the_page_but_not_solve_or_rate_as_the_requester(client, ticket, agent):
    client.force_login(agent)
    page = client.get(url("ticket_detail", ticket.reference)).content.decode()
    assert "This is solved" not in page and "Create my account" not in page
    assert client.post(url("ticket_solve", ticket.reference)).status_code == 404


def test_it_links_the_status_badge_to_its_explanation(client, ticket):
    ticket_set_status(ticket, Status.ON_HOLD, actor=None)
    as_guest_with_link(client, ticket)
    page = client.get(url("ticket_detail", ticket.reference)).content.decode()
    assert f'href="{url("statuses_help")}#status-on-hold"' in page


def test_it_does_not_solve_a_closed_ticket(client, ticket):
    ticket_set_status(ticket, Status.CLOSED, actor=None)
    as_verified_owner(client, ticket)
    assert "This is solved" not in client.get(url("ticket_detail", ticket.reference)).content.decode()
    client.post(url("ticket_solve", ticket.reference))
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_it_keeps_the_ticket_page_queries_for_an_open_ticket(client, ticket, django_assert_num_queries):
    as_verified_owner(client, ticket)
    # 1 session, 2 user, 3 ticket with requester, 4 verified address, 5 messages with authors,
    # 6 their attachments, 7 the ticket field values a customer may see (comptoir.ticketforms). The
    # branding comes from the cache (comptoir.branding.selectors). A survey is looked for only on a solved ticket.
    with django_assert_num_queries(7):
        client.get(url("ticket_detail", ticket.reference))
