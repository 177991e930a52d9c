"""The list's bulk action and the ticket page's tags, through the views: POST, CSRF, agents only, clear reports."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from comptoir.tickets.models import EventKind, Priority, Status, Tag, Ticket
from comptoir.tickets.services import ticket_set_status, ticket_update_by_agent
from comptoir.workspace.forms import BULK_MAX

pytestmark = pytest.mark.django_db


def url(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def flashes(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_the_list_offers_a_box_per_row_in_a_form_posting_to_the_bulk_action(signed_in, make_ticket):
    tickets = [make_ticket(subject=f"Problem {n}") for n in range(3)]
    page = signed_in.get(url("agent_tickets"), {"view": "all"}).content.decode()
    assert f'action="{url("agent_bulk_update")}"' in page
    boxes = re.findall(r'name="tickets" value="(\d+)" form="bulk-form"', page)
    assert sorted(map(int, boxes)) == sorted(ticket.reference for ticket in tickets)
    # The bulk form's fields have their own ids: the filter form beside it uses the same names.
    assert 'id="bulk-status"' in page and 'id="id_status"' in page


def test_a_bulk_action_sets_the_fields_and_reports_what_it_did(signed_in, make_ticket, agent):
    first, second, done = (make_ticket(subject=f"Problem {n}") for n in range(3))
    ticket_update_by_agent(second, agent=agent, priority=Priority.HIGH)
    ticket_set_status(done, Status.CLOSED, actor=None)
    response = signed_in.post(
        url("agent_bulk_update"),
        {
            "tickets": [first.reference, second.reference, done.reference, 999_999],
            "priority": Priority.HIGH,
            "assignee": str(agent.pk),
            "add_tags": "Refund vip",
            "next": "/en/agent/?view=all&q=tag%3Arefund",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/en/agent/?view=all&q=tag%3Arefund"
    with translation.override("en"):
        said = flashes(response)
    assert said[0] == "2 tickets updated."
    assert said[1] == f"Left as they were, being closed: #{done.reference}."
    assert said[2] == "No longer there: #999999."
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.priority == Priority.HIGH
        assert ticket.assignee == agent
        assert sorted(tag.name for tag in ticket.tags.all()) == ["refund", "vip"]
    done.refresh_from_db()
    assert done.assignee is None and not done.tags.exists()
    assert second.events.filter(kind=EventKind.PRIORITY).count() == 1  # set once, before the bulk action


def test_a_bulk_action_needs_tickets_and_something_to_change_and_says_so(signed_in, make_ticket):
    ticket = make_ticket()
    with translation.override("en"):
        # Each message is the last one said: the redirect is not followed, so none is shown and used up.
        response = signed_in.post(url("agent_bulk_update"), {"priority": Priority.HIGH})
        assert flashes(response)[-1:] == ["Tick at least one ticket first."]
        response = signed_in.post(url("agent_bulk_update"), {"tickets": [ticket.reference]})
        assert flashes(response)[-1:] == ["Choose something to change on the selected tickets."]
        response = signed_in.post(url("agent_bulk_update"), {"tickets": ["12abc"], "priority": Priority.HIGH})
        assert flashes(response)[-1:] == ["A ticket number was not understood."]
        too_many = [str(1001 + n) for n in range(BULK_MAX + 1)]
        response = signed_in.post(url("agent_bulk_update"), {"tickets": too_many, "priority": Priority.HIGH})
        assert flashes(response)[-1:] == [f"Select at most {BULK_MAX} tickets at a time."]
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert response["Location"] == url("agent_tickets")


def test_a_bulk_action_never_sends_the_agent_to_another_site(signed_in, make_ticket):
    ticket = make_ticket()
    response = signed_in.post(
        url("agent_bulk_update"),
        {"tickets": [ticket.reference], "type": "incident", "next": "https://evil.example/agent/"},
    )
    assert response["Location"] == url("agent_tickets")
    ticket.refresh_from_db()
    assert ticket.type == "incident"


def test_only_agents_act_in_bulk_by_post_with_a_csrf_token(client, make_ticket, agent):
    ticket = make_ticket()
    data = {"tickets": [ticket.reference], "priority": Priority.URGENT}
    assert client.post(url("agent_bulk_update"), data).status_code == 302  # to the login page
    client.force_login(ticket.requester)  # the ticket's own requester is no agent
    assert client.post(url("agent_bulk_update"), data).status_code == 403
    client.force_login(agent)
    assert client.get(url("agent_bulk_update"), data).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(agent)
    assert strict.post(url("agent_bulk_update"), data).status_code == 403
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL


def test_the_ticket_page_edits_its_tags_with_the_next_submit(signed_in, make_ticket, agent):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["billing", "vip"])
    page = signed_in.get(url("agent_ticket", ticket.reference)).content.decode()
    assert re.search(r'name="tags" id="id_tags" value="billing vip"\s+form="agent-update"', page)
    response = signed_in.post(
        url("agent_ticket_update", ticket.reference),
        {"visibility": "note", "body": "", "tags": "billing, Late Delivery", "priority": ticket.priority},
    )
    assert response.status_code == 302
    assert sorted(tag.name for tag in ticket.tags.all()) == ["billing", "delivery", "late"]
    kinds = list(
        ticket.events.filter(kind__in=(EventKind.TAG_ADDED, EventKind.TAG_REMOVED)).values_list(
            "kind", "old_value", "new_value"
        )
    )
    assert kinds[-3:] == [
        (EventKind.TAG_ADDED, "", "late"),
        (EventKind.TAG_ADDED, "", "delivery"),
        (EventKind.TAG_REMOVED, "vip", ""),
    ]
    # The history on the page names them.
    page = signed_in.get(url("agent_ticket", ticket.reference)).content.decode()
    assert "Tag added: late</span>" in page
    assert "Tag removed: vip</span>" in page


def test_a_submit_without_the_tags_field_leaves_the_tags_alone(signed_in, make_ticket, agent):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["vip"])
    ticket.refresh_from_db()
    assert ticket_set_status(ticket, Status.CLOSED, actor=None)
    # A closed ticket's page sends no tags field: the note is written, the tags stay.
    response = signed_in.post(url("agent_ticket_update", ticket.reference), {"visibility": "note", "body": "Noted."})
    assert response.status_code == 302
    assert [tag.name for tag in ticket.tags.all()] == ["vip"]
    page = signed_in.get(url("agent_ticket", ticket.reference)).content.decode()
    assert '<span class="tag">vip</span>' in page
    assert 'name="tags"' not in page


def test_tag_suggestions_complete_the_last_tag_typed_keeping_the_others(signed_in):
    for name in ("refund", "refund-partial", "remote", "vip"):
        Tag.objects.create(name=name)
    address = url("agent_tag_suggestions")
    options = re.findall(r'<option value="([^"]*)">', signed_in.get(address, {"tags": "VIP, Ref"}).content.decode())
    assert options == ["vip refund", "vip refund-partial"]
    assert re.findall(r'value="([^"]*)"', signed_in.get(address, {"tags": "re"}).content.decode()) == [
        "refund",
        "refund-partial",
        "remote",
    ]
    # After a separator the agent starts a new tag: nothing to complete yet.
    assert "<option" not in signed_in.get(address, {"tags": "refund "}).content.decode()
    assert "<option" not in signed_in.get(address, {"tags": ""}).content.decode()


def test_tag_names_are_escaped_wherever_they_show(signed_in, make_ticket, agent):
    ticket = make_ticket()
    # Normalisation already drops markup characters; the templates escape whatever remains.
    Tag.objects.create(name="<b>x</b>")
    ticket.tags.add(Tag.objects.get(name="<b>x</b>"))
    page = signed_in.get(url("agent_tickets"), {"view": "all"}).content.decode()
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert Ticket.objects.filter(tags__name="<b>x</b>").count() == 1


def test_the_selected_tickets_are_marked_as_spam_in_bulk(signed_in, make_ticket, agent):
    spam = [make_ticket(email=f"bot{n}@spam.example", subject=f"Pills {n}") for n in range(3)]
    kept = make_ticket(subject="Real")
    response = signed_in.post(
        url("agent_bulk_update"),
        {"tickets": [ticket.reference for ticket in spam], "action": "spam", "priority": Priority.URGENT},
    )
    assert response["Location"] == url("agent_tickets")
    with translation.override("en"):
        assert flashes(response)[-1:] == ["3 tickets updated."]
    for ticket in spam:
        ticket.refresh_from_db()
        assert ticket.spam and ticket.status == Status.CLOSED
        assert ticket.priority == Priority.NORMAL  # the panel's fields are not read for spam
        assert [event.kind for event in ticket.events.filter(actor=agent)] == [EventKind.SPAM, EventKind.STATUS]
    kept.refresh_from_db()
    assert not kept.spam


@pytest.mark.parametrize("count", [5, 50])
def test_marking_spam_in_bulk_runs_the_same_statements_for_5_and_50_tickets(
    make_ticket, agent, count, django_assert_num_queries
):
    from django.db import transaction

    from comptoir.tickets.services import tickets_mark_spam_in_bulk

    tickets = [make_ticket(email=f"bot{n}@spam.example") for n in range(count)]
    # 1 savepoint, 2 the tickets locked, 3 marked, 4 closed, 5 their events, 6 what subscribers
    # are owed, 7 the savepoint released (the hand-over after the outer block is not counted).
    with transaction.atomic(), django_assert_num_queries(7):
        outcome = tickets_mark_spam_in_bulk([ticket.pk for ticket in tickets], agent=agent)
    assert len(outcome.changed) == count


def test_a_ticket_number_too_long_for_any_ticket_is_refused_not_a_crash(signed_in, make_ticket):
    response = signed_in.post(url("agent_bulk_update"), {"tickets": ["9" * 40], "action": "spam"})
    assert response.status_code == 302
    with translation.override("en"):
        assert flashes(response)[-1:] == ["A ticket number was not understood."]


def test_a_page_left_open_does_not_remove_a_tag_a_colleague_added_meanwhile(signed_in, make_ticket, agent):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["refund"])
    page = signed_in.get(url("agent_ticket", ticket.reference)).content.decode()
    assert 'name="tags_shown" value="refund"' in page
    ticket_update_by_agent(ticket, agent=agent, add_tags=["vip"])  # a colleague, meanwhile
    signed_in.post(
        url("agent_ticket_update", ticket.reference),
        {"visibility": "note", "body": "Noted.", "tags": "refund urgent", "tags_shown": "refund"},
    )
    assert sorted(tag.name for tag in ticket.tags.all()) == ["refund", "urgent", "vip"]
