"""The list's "Apply a canned reply": the same as inserting it on each ticket's page and submitting; agents only."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.mail.models import OutboundEmail
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import EventKind, Macro, Priority, Status, Ticket, TicketType
from comptoir.tickets.services import ticket_mark_spam, ticket_set_status, ticket_update_by_agent
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from tests.workspace.test_bulk_views import flashes, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def macro(db) -> Macro:
    return Macro.objects.create(
        title="Refund sent",
        body="Refund sent.",
        body_fr="Bonjour {requester_name}, le remboursement est parti.",
        body_en="Hello {requester_name}, the refund is on its way.",
        status=Status.PENDING,
        priority=Priority.HIGH,
        type=TicketType.INCIDENT,
        add_tags="refund",
    )


def test_the_bulk_panel_offers_the_canned_replies_fetched_when_reached_for(signed_in, make_ticket, macro):
    make_ticket()
    Macro.objects.create(title="Retired <old>", body="Old", is_active=False)
    Macro.objects.create(title="Thanks & bye", body="Bye")
    page = signed_in.get(url("agent_tickets"), {"view": "all"}).content.decode()
    # The list carries the select, not the canned replies: bulk.js fetches them.
    select = re.search(r'<select name="macro" id="bulk-macro" data-macro-options="([^"]+)">(.*?)</select>', page, re.S)
    assert select is not None
    assert select.group(1) == url("agent_macro_options")
    assert "Refund sent" not in select.group(2)
    assert 'name="action" value="macro"' in page
    assert 'id="bulk-reply_as"' in page

    options = signed_in.get(select.group(1)).content.decode()
    assert re.findall(r'<option value="(\d+)">([^<]*)</option>', options) == [
        (str(macro.pk), "Refund sent"),
        (str(Macro.objects.get(title="Thanks & bye").pk), "Thanks &amp; bye"),
    ]
    assert "Retired" not in options


def test_applying_a_canned_reply_reports_what_was_done_and_what_was_refused(signed_in, make_ticket, agent, macro):
    french = make_ticket(email="chloe@example.fr", name="Chloé", language="fr")
    english = make_ticket(email="bob@example.org", name="Bob")
    closed, merged, spam, kept = (make_ticket(email=f"p{n}@example.org", subject=f"T{n}") for n in range(4))
    assert ticket_set_status(closed, Status.CLOSED, actor=None)
    tickets_merge([merged], kept, agent=agent, tell_requesters=False)
    ticket_mark_spam(spam, agent=agent)

    response = signed_in.post(
        url("agent_bulk_update"),
        {
            "tickets": [t.reference for t in (french, english, closed, merged, spam)] + [999_999],
            "action": "macro",
            "macro": str(macro.pk),
            "reply_as": "public",
            # The other fields of the panel are not read by this button.
            "priority": Priority.LOW,
            "add_tags": "other",
            "next": "/en/agent/?view=all",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/en/agent/?view=all"
    with translation.override("en"):
        said = flashes(response)
    assert said == [
        "2 tickets updated.",
        f"Left as they were, being closed: #{closed.reference}.",
        f"Left as they were, being merged into another ticket: #{merged.reference}.",
        f"Left as they were, being spam: #{spam.reference}.",
        "No longer there: #999999.",
    ]
    assert french.messages.order_by("id").last().body == "Bonjour Chloé, le remboursement est parti."
    assert english.messages.order_by("id").last().body == "Hello Bob, the refund is on its way."
    for ticket in (french, english):
        ticket.refresh_from_db()
        assert (ticket.status, ticket.priority) == (Status.PENDING, Priority.HIGH)
        assert [tag.name for tag in ticket.tags.all()] == ["refund"]
    for ticket in (closed, merged, spam):
        assert not ticket.messages.filter(body__contains="refund").exists()
        assert not ticket.tags.exists()


def test_the_report_is_in_french_on_the_french_list(signed_in, make_ticket, agent, macro):
    ticket, closed, merged, spam, kept = (make_ticket(email=f"p{n}@example.org", subject=f"T{n}") for n in range(5))
    assert ticket_set_status(closed, Status.CLOSED, actor=None)
    tickets_merge([merged], kept, agent=agent, tell_requesters=False)
    ticket_mark_spam(spam, agent=agent)
    with translation.override("fr"):
        address = reverse("agent_bulk_update")
    response = signed_in.post(
        address,
        {
            "tickets": [t.reference for t in (ticket, closed, merged, spam)],
            "action": "macro",
            "macro": macro.pk,
            "reply_as": "note",
        },
    )
    assert flashes(response) == [
        "1 ticket mis à jour.",
        f"Laissés tels quels car fermés\u202f: #{closed.reference}.",
        f"Laissés tels quels car fusionnés dans un autre ticket\u202f: #{merged.reference}.",
        f"Laissés tels quels car marqués comme spam\u202f: #{spam.reference}.",
    ]
    assert not ticket.messages.order_by("id").last().is_public


def page_submit_of(client: Client, ticket: Ticket, macro: Macro) -> None:
    """What an agent does on the ticket's page: insert the canned reply (as agent.js fills the form), submit."""
    options = client.get(url("agent_ticket_macros", ticket.reference)).content.decode()
    option = re.search(rf'<option value="{macro.pk}"([^>]*)>', options)
    assert option is not None
    data = {name: html.unescape(value) for name, value in re.findall(r'data-(\w+)="([^"]*)"', option.group(1))}
    tags = " ".join(tag.name for tag in ticket.tags.all())
    response = client.post(
        url("agent_ticket_update", ticket.reference),
        {
            "visibility": "public",
            "body": data["text"],
            "priority": data["priority"] or ticket.priority,
            "type": data["type"] or ticket.type,
            "assignee": "",
            "group": "",
            "tags": f"{tags} {data['tags']}".strip(),
            "tags_shown": tags,
            "status": data["status"] if data["status"] in AGENT_SUBMIT_STATUSES else "",
        },
    )
    assert response.status_code == 302


@pytest.mark.parametrize("status", [Status.PENDING, Status.SOLVED, ""])
def test_it_does_on_each_ticket_what_inserting_it_and_submitting_on_the_page_does(
    signed_in, make_ticket, agent, macro, status
):
    macro.status = status
    macro.save()
    by_page = make_ticket(email="one@example.org", name="Sam", language="fr")
    in_bulk = make_ticket(email="two@example.org", name="Sam", language="fr")
    for ticket in (by_page, in_bulk):
        ticket_update_by_agent(ticket, agent=agent, add_tags=["billing"])
        ticket.refresh_from_db()

    page_submit_of(signed_in, by_page, macro)
    signed_in.post(
        url("agent_bulk_update"),
        {"tickets": [in_bulk.reference], "action": "macro", "macro": macro.pk, "reply_as": "public"},
    )

    def written(ticket: Ticket):
        ticket.refresh_from_db()
        reply = ticket.events.get(kind=EventKind.REPLY)
        change = list(ticket.events.filter(change=reply.change).values_list("kind", "old_value", "new_value", "actor"))
        message = reply.message
        emails = list(OutboundEmail.objects.filter(ticket=ticket).order_by("id").values_list("kind", "language"))
        tags = sorted(tag.name for tag in ticket.tags.all())
        return (ticket.status, ticket.priority, ticket.type, tags, change, message.body, message.is_public, emails)

    assert written(in_bulk) == written(by_page)
    assert written(in_bulk)[5] == "Bonjour Sam, le remboursement est parti."


def test_a_canned_reply_must_be_chosen_and_still_offered(signed_in, make_ticket, macro):
    ticket = make_ticket()
    with translation.override("en"):
        response = signed_in.post(
            url("agent_bulk_update"), {"tickets": [ticket.reference], "action": "macro", "reply_as": "public"}
        )
        assert flashes(response)[-1:] == ["Choose the canned reply to apply."]
        macro.is_active = False
        macro.save()
        data = {"tickets": [ticket.reference], "action": "macro", "macro": macro.pk, "reply_as": "public"}
        response = signed_in.post(url("agent_bulk_update"), data)
        assert flashes(response)[-1:] == ["This canned reply is no longer offered: choose another."]
        response = signed_in.post(url("agent_bulk_update"), {**data, "macro": "9" * 40})
        assert flashes(response)[-1:] == ["This canned reply is no longer offered: choose another."]
        response = signed_in.post(url("agent_bulk_update"), {"action": "macro", "macro": macro.pk})
        assert "Tick at least one ticket first." in flashes(response)
    assert ticket.messages.count() == 1


def test_only_agents_apply_a_canned_reply_by_post_with_a_csrf_token(client, make_ticket, agent, macro):
    ticket = make_ticket()
    data = {"tickets": [ticket.reference], "action": "macro", "macro": macro.pk, "reply_as": "public"}
    assert client.post(url("agent_bulk_update"), data)["Location"].startswith(url("account_login"))
    assert client.get(url("agent_macro_options"))["Location"].startswith(url("account_login"))
    client.force_login(ticket.requester)  # the ticket's own requester is no agent
    assert client.post(url("agent_bulk_update"), data).status_code == 403
    assert client.get(url("agent_macro_options")).status_code == 403
    client.force_login(agent)
    assert client.get(url("agent_bulk_update"), data).status_code == 405
    assert client.post(url("agent_macro_options")).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(url("agent_bulk_update"), data).status_code == 403
    assert ticket.messages.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW
