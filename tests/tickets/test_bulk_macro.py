"""A canned reply applied to many tickets: on each, what inserting it and submitting on its page writes."""

from __future__ import annotations

import pytest
from django.db import transaction

from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.tickets.merging import tickets_merge
from comptoir.tickets.models import EventKind, Macro, Priority, Status, Survey, Tag, Ticket, TicketType
from comptoir.tickets.services import (
    PropertyChanges,
    Refusal,
    ticket_mark_spam,
    ticket_set_status,
    ticket_update_by_agent,
    tickets_update_in_bulk,
)
from comptoir.workspace.macros import tickets_apply_macro
from tests.tickets.test_bulk_update import aged, history, pks, tag_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def macro(db) -> Macro:
    return Macro.objects.create(
        title="Refund sent",
        body="Refund sent ({ticket_reference}).",
        body_fr="Bonjour {requester_name}, remboursement envoyé pour {ticket_reference}. {agent_name}",
        body_en="Hello {requester_name}, refund sent for {ticket_reference}. {agent_name}",
        status=Status.PENDING,
        priority=Priority.HIGH,
        type=TicketType.INCIDENT,
        add_tags="Refund vip",
    )


def reply_change(ticket: Ticket) -> list[tuple[str, str, str]]:
    """(kind, old, new) of the change holding the ticket's last agent message, in order."""
    event = ticket.events.filter(kind__in=(EventKind.REPLY, EventKind.NOTE)).order_by("id").last()
    events = ticket.events.filter(change=event.change).order_by("id")
    return list(events.values_list("kind", "old_value", "new_value"))


def test_each_ticket_gets_the_text_in_its_language_filled_in_and_what_the_macro_sets(make_ticket, agent, macro):
    french = make_ticket(email="chloe@example.fr", name="Chloé", language="fr")
    english = make_ticket(email="bob@example.org", name="Bob", language="en")
    aged(french, english)

    outcome = tickets_apply_macro([french.pk, english.pk], macro=macro, agent=agent, is_public=True)

    assert (outcome.changed, outcome.unchanged, outcome.refused) == ([french.pk, english.pk], [], [])
    bodies = {ticket.pk: ticket.messages.order_by("id").last() for ticket in (french, english)}
    assert bodies[french.pk].body == f"Bonjour Chloé, remboursement envoyé pour #{french.reference}. Camille"
    assert bodies[english.pk].body == f"Hello Bob, refund sent for #{english.reference}. Camille"
    for ticket in (french, english):
        message = bodies[ticket.pk]
        assert message.is_public and message.author == agent
        ticket.refresh_from_db()
        assert (ticket.status, ticket.priority, ticket.type) == (Status.PENDING, Priority.HIGH, TicketType.INCIDENT)
        assert tag_set(ticket) == {"refund", "vip"}
        # One change, as one submit on the page: the fields, the tags, the reply, then the status.
        assert reply_change(ticket) == [
            (EventKind.PRIORITY, Priority.NORMAL, Priority.HIGH),
            (EventKind.TYPE, TicketType.QUESTION, TicketType.INCIDENT),
            (EventKind.TAG_ADDED, "", "refund"),
            (EventKind.TAG_ADDED, "", "vip"),
            (EventKind.REPLY, "", ""),
            (EventKind.STATUS, Status.NEW, Status.PENDING),
        ]
        assert ticket.events.get(kind=EventKind.REPLY).message == message
        # The reply is e-mailed to the requester, in the ticket's language, as any agent's reply.
        [email] = OutboundEmail.objects.filter(ticket=ticket, kind=OutboundKind.AGENT_REPLY)
        assert (email.to_address, email.language, email.ticket_message) == (
            ticket.requester.email,
            ticket.language,
            message,
        )


def test_as_an_internal_note_nobody_is_emailed_and_a_new_ticket_opens(make_ticket, agent):
    macro = Macro.objects.create(title="Checked", body="Logs checked for {ticket_subject}.")
    ticket = make_ticket(subject="Export fails")

    outcome = tickets_apply_macro([ticket.pk], macro=macro, agent=agent, is_public=False)

    assert outcome.changed == [ticket.pk]
    note = ticket.messages.order_by("id").last()
    assert (note.body, note.is_public) == ("Logs checked for Export fails.", False)
    ticket.refresh_from_db()
    # No status on the canned reply: the plain submit, which opens a new ticket.
    assert ticket.status == Status.OPEN
    assert reply_change(ticket) == [(EventKind.NOTE, "", ""), (EventKind.STATUS, Status.NEW, Status.OPEN)]
    assert not OutboundEmail.objects.exclude(kind=OutboundKind.TICKET_CREATED).exists()


@pytest.mark.parametrize("status", [Status.NEW, Status.CLOSED])
def test_a_status_the_page_offers_no_button_for_is_not_set(make_ticket, agent, status):
    """The ticket page has no "Submit as new" nor "Submit as closed": inserting such a macro submits plainly."""
    macro = Macro.objects.create(title="Odd", body="Text.", status=status)
    pending = make_ticket(subject="Pending")
    ticket_update_by_agent(pending, agent=agent, status=Status.PENDING)
    aged(pending)

    tickets_apply_macro([pending.pk], macro=macro, agent=agent, is_public=True)

    pending.refresh_from_db()
    assert pending.status == Status.PENDING
    assert reply_change(pending) == [(EventKind.REPLY, "", "")]
    assert pending.updated_at > pending.created_at  # touched, as every submit


def test_solving_with_a_macro_sends_the_solved_email_carrying_the_reply(make_ticket, agent):
    macro = Macro.objects.create(title="Done", body="Fixed in version 2.", status=Status.SOLVED)
    tickets = [make_ticket(email=f"p{n}@example.org") for n in range(2)]

    tickets_apply_macro(pks(tickets), macro=macro, agent=agent, is_public=True)

    for ticket in tickets:
        [survey] = Survey.objects.filter(ticket=ticket)
        assert survey.withdrawn_at is None
        kinds = list(OutboundEmail.objects.filter(ticket=ticket).values_list("kind", flat=True).order_by("id"))
        # One e-mail for the reply and the resolution, as a "Submit as solved" on the page.
        assert kinds == [OutboundKind.TICKET_CREATED, OutboundKind.TICKET_SOLVED]
        solved = OutboundEmail.objects.get(ticket=ticket, kind=OutboundKind.TICKET_SOLVED)
        assert solved.ticket_message == ticket.messages.get(body="Fixed in version 2.")


def test_closed_merged_spam_and_missing_tickets_are_refused_and_the_others_done(make_ticket, agent, macro):
    worked, closed, merged, spam, kept = (make_ticket(email=f"p{n}@example.org", subject=f"T{n}") for n in range(5))
    gone = make_ticket(subject="Deleted since")
    gone_id = gone.pk
    gone.delete()
    assert ticket_set_status(closed, Status.CLOSED, actor=None)
    tickets_merge([merged], kept, agent=agent, tell_requesters=False)
    ticket_mark_spam(spam, agent=agent)
    untouched = {ticket.pk: (len(history(ticket)), ticket.messages.count()) for ticket in (closed, merged, spam)}

    outcome = tickets_apply_macro(
        [closed.pk, merged.pk, worked.pk, gone_id, spam.pk], macro=macro, agent=agent, is_public=True
    )

    assert outcome.changed == [worked.pk]
    assert sorted(outcome.refused) == sorted(
        [
            (gone_id, Refusal.MISSING),
            (closed.pk, Refusal.CLOSED),
            (merged.pk, Refusal.MERGED),
            (spam.pk, Refusal.SPAM),
        ]
    )
    for ticket in (closed, merged, spam):
        ticket.refresh_from_db()
        assert (len(history(ticket)), ticket.messages.count()) == untouched[ticket.pk]
        assert ticket.status == Status.CLOSED and ticket.priority == Priority.NORMAL
        assert tag_set(ticket) == set()
    worked.refresh_from_db()
    assert (worked.status, tag_set(worked)) == (Status.PENDING, {"refund", "vip"})


def test_it_matches_a_bulk_change_of_the_same_fields_but_writes_the_reply_and_opens_the_ticket(make_ticket, agent):
    """The same writers as the other bulk action: the fields' events are alike; the submit adds its reply."""
    macro = Macro.objects.create(title="Tag", body="Tagged.", priority=Priority.LOW, add_tags="billing")
    by_macro, by_fields = make_ticket(subject="Macro"), make_ticket(subject="Fields")

    tickets_apply_macro([by_macro.pk], macro=macro, agent=agent, is_public=False)
    tickets_update_in_bulk(
        [by_fields.pk], agent=agent, changes=PropertyChanges(priority=Priority.LOW, add_tags=["billing"])
    )

    fields = history(by_fields)
    assert history(by_macro) == [*fields, (EventKind.NOTE, "", ""), (EventKind.STATUS, Status.NEW, Status.OPEN)]


# --- A fixed number of statements -----------------------------------------------------------

# Applying a canned reply that sets everything, whatever the number of tickets: 1 the savepoint of
# the service's atomic block, 2 the tickets, locked, with requester (the text is filled in with
# their name), assignee and group joined, 3-4 one UPDATE per field (priority, type), 5 the new tags,
# 6 their ids, 7 the links the tickets already have, 8 the new links, 9 every ticket's reply (one
# INSERT, returning the ids its events name), 10 the status columns of the tickets that move (one
# UPDATE per status reached: here "solved"), 11 the open surveys of those withdrawn, 12 their new
# surveys, 13 updated_at of the ticket already solved (it stays, and is touched), 14 every event of
# every ticket, 15 what the subscribers are owed, 16 the savepoint released, 17 the fields required
# to solve (comptoir.tickets.solve_guards: none defined here, so no values are read). The e-mails (one
# reply per requester) are queued after commit by the notifications subscriber, one change at a time,
# outside the request: not counted, and no statement here is per ticket.
MACRO_QUERIES = 17


@pytest.mark.parametrize("count", [5, 50, 100])
def test_applying_a_macro_runs_the_same_statements_over_5_and_50_tickets(
    make_ticket, agent, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    macro = Macro.objects.create(
        title="Solved",
        body="Hello {requester_name}, {ticket_reference} is fixed.",
        status=Status.SOLVED,
        priority=Priority.HIGH,
        type=TicketType.INCIDENT,
        add_tags="refund vip",
    )
    tickets = [make_ticket(email=f"p{n}@example.org", name=f"Person {n}") for n in range(count)]
    tickets_update_in_bulk(pks(tickets[:1]), agent=agent, changes=PropertyChanges(), status=Status.SOLVED)

    with (
        django_capture_on_commit_callbacks(execute=False) as after_commit,
        transaction.atomic(),
        django_assert_num_queries(MACRO_QUERIES),
    ):
        outcome = tickets_apply_macro(pks(tickets), macro=macro, agent=agent, is_public=True)

    assert outcome.changed == pks(tickets)
    assert Ticket.objects.filter(pk__in=pks(tickets), status=Status.SOLVED).count() == count
    assert Tag.objects.count() == 2
    for ticket in (tickets[0], tickets[-1]):
        assert (
            ticket.messages.order_by("id").last().body
            == f"Hello {ticket.requester.name}, #{ticket.reference} is fixed."
        )
    # After commit, one hand-off per ticket: its reply's e-mail is queued then.
    assert sorted(callback.args[0] for callback in after_commit) == pks(tickets)
