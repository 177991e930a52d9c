"""The customer is told when to expect the first answer: confirmation page, confirmation e-mail, ticket page."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.sla.models import TicketSla
from comptoir.sla.promise import first_reply_promise
from comptoir.tickets.links import link_issue
from comptoir.tickets.models import Status, Ticket
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from tests.sla.clock import paris
from tests.tickets.test_ticket_form import form_url, valid_data

pytestmark = pytest.mark.django_db

FRIDAY_EVENING = paris(2026, 6, 5, 19)


def sent(client, language: str) -> tuple[str, Ticket]:
    response = client.post(form_url(language), valid_data(), follow=True)
    assert response.status_code == 200
    return response.content.decode(), Ticket.objects.get()


def test_a_ticket_sent_on_friday_evening_is_promised_for_monday_with_when_the_team_is_back(
    client, fake_now, office_policy, mailoutbox
):
    fake_now.set(FRIDAY_EVENING)

    page, ticket = sent(client, "en")

    # Four business hours from Monday 09:00: 09:00-12:00, then 13:00-14:00.
    expected = "We usually answer within 4 business hours: expect our answer by Monday at 14:00."
    assert expected in page
    assert "Our team is away right now and back on Monday at 09:00." in page
    email_deliver(OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED).pk)
    assert expected in mailoutbox[-1].body
    assert "back on Monday at 09:00" in mailoutbox[-1].body
    client.get(reverse("ticket_link_redeem", args=[link_issue(ticket)]))
    assert expected in client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()


def test_the_promise_is_in_the_ticket_s_language(client, fake_now, office_policy, mailoutbox):
    fake_now.set(FRIDAY_EVENING)

    page, _ = sent(client, "fr")

    expected = "Nous répondons généralement sous 4 heures ouvrées\u202f: attendez notre réponse d’ici lundi à 14:00."  # noqa: RUF001
    assert expected in page
    assert "Notre équipe est absente pour le moment et de retour lundi à 09:00." in page
    email_deliver(OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED).pk)
    assert expected in mailoutbox[-1].body


def test_during_opening_hours_it_promises_today_and_says_nothing_of_being_away(fake_now, office_policy, make_ticket):
    ticket = make_ticket()  # Monday 09:00

    promise = first_reply_promise(ticket)

    assert promise is not None
    with translation.override("en"):
        assert promise.sentence == "We usually answer within 4 business hours: expect our answer by today at 14:00."
    assert promise.back == ""


def test_nothing_is_promised_without_a_policy_once_answered_or_while_waiting_on_the_customer(
    client, fake_now, office_policy, make_ticket, agent
):
    fake_now.set(FRIDAY_EVENING)
    waiting = make_ticket(subject="Waiting")
    ticket_set_status(waiting, Status.PENDING, actor=agent)
    answered = make_ticket(subject="Answered")
    ticket_update_by_agent(answered, agent=agent, body="Hello.")

    assert first_reply_promise(waiting) is None  # its page says it waits on them (REQUESTER_HELP)
    assert first_reply_promise(answered) is None
    office_policy.is_active = False
    office_policy.save()
    assert first_reply_promise(make_ticket(subject="No policy")) is None
    page = client.post(form_url("en"), valid_data(), follow=True).content.decode()
    assert "has been sent" in page and "We usually answer" not in page


def test_a_new_ticket_s_promise_does_not_wait_for_the_clock(fake_now, office_policy, make_ticket):
    """Before the subscriber writes the clock (it runs after the commit), the policy gives the same due time."""
    ticket = make_ticket()
    written = first_reply_promise(ticket)
    TicketSla.objects.filter(ticket=ticket).delete()

    assert written is not None
    assert first_reply_promise(ticket) == written


def test_the_promise_is_said_on_the_customer_s_clock_when_their_browser_gave_it(
    client, fake_now, office_policy, mailoutbox
):
    fake_now.set(FRIDAY_EVENING)  # 13:00 in New York

    response = client.post(form_url("en"), {**valid_data(), "time_zone": "America/New_York"}, follow=True)

    ticket = Ticket.objects.get()
    assert ticket.time_zone == "America/New_York"
    # Monday 14:00 in Paris is 08:00 in New York; the team is back at 03:00 their time.
    page = response.content.decode()
    assert "expect our answer by Monday at 08:00." in page
    assert "back on Monday at 03:00." in page
    email_deliver(OutboundEmail.objects.get(kind=OutboundKind.TICKET_CREATED).pk)
    assert "expect our answer by Monday at 08:00." in mailoutbox[-1].body


@pytest.mark.parametrize("posted", ["Mars/Olympus", "../../etc/passwd", "", "x" * 65, "Europe/" + "x" * 500, "UTC "])
def test_a_time_zone_the_server_does_not_know_is_dropped_and_the_team_s_clock_used(
    client, fake_now, office_policy, posted
):
    fake_now.set(FRIDAY_EVENING)

    page = client.post(form_url("en"), {**valid_data(), "time_zone": posted}, follow=True).content.decode()

    assert Ticket.objects.get().time_zone == ("UTC" if posted == "UTC " else "")
    if posted != "UTC ":
        assert "expect our answer by Monday at 14:00." in page
