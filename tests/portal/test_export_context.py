"""The customer's copy of their data holds the technical details their browser sent with each ticket.

Issue 20: the context the form records with the customer's consent (comptoir.ticketforms.models.TicketContext)
is theirs; agents only see it on the ticket page, but it belongs in the customer's own export.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from comptoir.accounts.models import User
from comptoir.accounts.services import email_address_record
from comptoir.portal.erasure import account_erase
from comptoir.portal.export import requester_data_export
from comptoir.ticketforms.models import CameFrom, TicketContext
from comptoir.tickets.services import ticket_change_requester

pytestmark = pytest.mark.django_db


@pytest.fixture
def verified(requester) -> User:
    email_address_record(user=requester, verified=True)
    return requester


def _archive(user: User) -> zipfile.ZipFile:
    with translation.override("en"), requester_data_export(user=user) as output:
        return zipfile.ZipFile(io.BytesIO(output.read()))


def test_each_ticket_carries_what_was_sent_with_it_and_null_when_nothing_was(verified, make_ticket):
    with_context = make_ticket(subject="Sent with details")
    without = make_ticket(subject="Sent with the box unticked")
    TicketContext.objects.create(
        ticket=with_context,
        browser="Firefox 133",
        system="Windows 11",
        screen_width=1920,
        screen_height=1080,
        language="fr-FR",
        came_from="/en/help/articles/7-reset-your-password/",
        came_from_kind=CameFrom.ARTICLE,
        came_from_title="Reset your password",
        article_path="/en/help/articles/7-reset-your-password/",
        article_title="Reset your password",
    )

    archive = _archive(verified)

    record = json.loads(archive.read(f"tickets/{with_context.reference}/ticket.json"))
    assert record["technical_details"] == {
        "browser": "Firefox 133",
        "operating_system": "Windows 11",
        "screen": "1920\u00d71080",
        "language": "fr-FR",
        "came_from": {"path": "/en/help/articles/7-reset-your-password/", "title": "Reset your password"},
        "last_article_read": {"path": "/en/help/articles/7-reset-your-password/", "title": "Reset your password"},
    }
    assert json.loads(archive.read(f"tickets/{without.reference}/ticket.json"))["technical_details"] is None
    text = archive.read(f"tickets/{with_context.reference}/conversation.txt").decode()
    assert "Technical details sent: Firefox 133 · Windows 11 · 1920\u00d71080 · fr-FR" in text
    assert "Technical details" not in archive.read(f"tickets/{without.reference}/conversation.txt").decode()


def test_a_partial_context_leaves_the_pages_out(verified, make_ticket):
    ticket = make_ticket()
    TicketContext.objects.create(ticket=ticket, browser="Safari 18")

    details = json.loads(_archive(verified).read(f"tickets/{ticket.reference}/ticket.json"))["technical_details"]

    assert details == {
        "browser": "Safari 18",
        "operating_system": "",
        "screen": "",
        "language": "",
        "came_from": None,
        "last_article_read": None,
    }


def test_another_person_s_context_is_not_in_one_s_export(verified, make_ticket):
    theirs = make_ticket(email="bob@example.net", subject="Bob's")
    TicketContext.objects.create(ticket=theirs, browser="Bob's browser")
    make_ticket()

    archive = _archive(verified)

    assert b"Bob's browser" not in b"".join(archive.read(name) for name in archive.namelist())


def test_the_context_costs_no_query_more(verified, make_ticket):
    for number in range(3):
        ticket = make_ticket(subject=f"Ticket {number}")
        TicketContext.objects.create(ticket=ticket, browser=f"Browser {number}")

    with CaptureQueriesContext(connection) as queries:
        requester_data_export(user=verified).close()

    # The tickets (their contexts joined), their public messages with authors, the files, the field values,
    # the survey answers.
    assert len(queries) == 5


def test_a_ticket_given_to_one_keeps_its_former_requester_s_browser_out_of_one_s_export(verified, make_ticket, agent):
    given = make_ticket(email="bob@example.net", subject="Bob's, then Alice's")
    TicketContext.objects.create(ticket=given, browser="Bob's browser", system="Bob's system")
    ticket_change_requester(given, email=verified.email, name=verified.name, actor=agent)

    archive = _archive(verified)

    # The ticket is theirs now, its conversation in their copy; what Bob's browser sent is not.
    record = json.loads(archive.read(f"tickets/{given.reference}/ticket.json"))
    assert record["subject"] == "Bob's, then Alice's"
    assert record["technical_details"] is None
    assert b"Bob's browser" not in b"".join(archive.read(name) for name in archive.namelist())


def test_erasing_the_account_erases_what_its_browser_sent_whoever_s_ticket_it_is_now(verified, make_ticket, agent):
    own = make_ticket(subject="Mine")
    TicketContext.objects.create(ticket=own, browser="Firefox 133", language="fr-FR")
    sent_then_given = make_ticket(subject="Mine, then Bob's")
    TicketContext.objects.create(ticket=sent_then_given, browser="Firefox 133")
    ticket_change_requester(sent_then_given, email="bob@example.net", name="Bob", actor=agent)
    others = make_ticket(email="bob@example.net", subject="Bob's")
    TicketContext.objects.create(ticket=others, browser="Bob's browser")
    given_to_me = make_ticket(email="carol@example.net", subject="Carol's, then mine")
    TicketContext.objects.create(ticket=given_to_me, browser="Carol's browser")
    ticket_change_requester(given_to_me, email=verified.email, name=verified.name, actor=agent)

    account_erase(user=verified)

    # Theirs go, even from the ticket now Bob's; Bob's and Carol's stay, even on a ticket that was theirs.
    assert sorted(TicketContext.objects.values_list("ticket_id", flat=True)) == sorted([others.pk, given_to_me.pk])
