"""Bulk actions on tickets, and tags: the same history, surveys and e-mails as a change made on one ticket."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from comptoir.accounts.models import Role, User
from comptoir.events.models import DeliveryState, EventDelivery
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.models import EventKind, Priority, Status, SupportGroup, Survey, Tag, Ticket, TicketType
from comptoir.tickets.services import (
    PropertyChanges,
    Refusal,
    TicketClosed,
    ticket_set_status,
    ticket_update_by_agent,
    tickets_update_in_bulk,
)

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=3)
TAG_KINDS = (EventKind.TAG_ADDED, EventKind.TAG_REMOVED)


@pytest.fixture
def colleague(db) -> User:
    return User.objects.create_user("dominique@example.com", name="Dominique", role=Role.AGENT)


@pytest.fixture
def group(db) -> SupportGroup:
    return SupportGroup.objects.create(name="Billing")


@pytest.fixture
def tickets(make_ticket) -> list[Ticket]:
    """Three new tickets of three requesters."""
    return [make_ticket(email=f"person{n}@example.org", subject=f"Problem {n}") for n in range(3)]


def bulk(tickets_or_ids, *, agent, status=None, **changes):
    ids = [getattr(ticket, "pk", ticket) for ticket in tickets_or_ids]
    return tickets_update_in_bulk(ids, agent=agent, changes=PropertyChanges(**changes), status=status)


def pks(tickets) -> list[int]:
    return [ticket.pk for ticket in tickets]


def aged(*tickets) -> None:
    """Their last change was days ago, so a new one shows in updated_at."""
    Ticket.objects.filter(pk__in=pks(tickets)).update(updated_at=LONG_AGO)


def history(ticket, *kinds) -> list[tuple[str, str, str]]:
    """(kind, old value, new value) of the ticket's events of those kinds (any but its creation), in order."""
    events = ticket.events.exclude(kind=EventKind.CREATED).order_by("id")
    if kinds:
        events = events.filter(kind__in=kinds)
    return list(events.values_list("kind", "old_value", "new_value"))


def last_change(ticket):
    """The change of the ticket's latest event, and the actors of that change's events."""
    change = ticket.events.order_by("id").last().change
    return change, set(ticket.events.filter(change=change).values_list("actor", flat=True))


def tag_set(ticket) -> set[str]:
    return set(ticket.tags.values_list("name", flat=True))


# --- Fields and statuses ----------------------------------------------------------


def test_it_sets_the_fields_and_the_status_of_every_ticket_each_in_its_own_change(tickets, agent, colleague, group):
    aged(*tickets)
    outcome = bulk(
        tickets,
        agent=agent,
        priority=Priority.HIGH,
        ticket_type=TicketType.INCIDENT,
        assignee=colleague,
        group=group,
        status=Status.PENDING,
    )

    assert (outcome.changed, outcome.unchanged, outcome.refused) == (pks(tickets), [], [])
    changes = set()
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.priority, ticket.type, ticket.assignee, ticket.group, ticket.status) == (
            Priority.HIGH,
            TicketType.INCIDENT,
            colleague,
            group,
            Status.PENDING,
        )
        assert ticket.updated_at > LONG_AGO + timedelta(days=1)
        assert history(ticket) == [
            (EventKind.PRIORITY, Priority.NORMAL, Priority.HIGH),
            (EventKind.TYPE, TicketType.QUESTION, TicketType.INCIDENT),
            (EventKind.ASSIGNEE, "", "Dominique"),
            (EventKind.GROUP, "", "Billing"),
            (EventKind.STATUS, Status.NEW, Status.PENDING),
        ]
        change, actors = last_change(ticket)
        # All five events are one change, by the agent, not the ticket's creation.
        assert ticket.events.filter(change=change).count() == 5
        assert actors == {agent.pk}
        assert ticket.events.get(kind=EventKind.CREATED).change != change
        changes.add(change)
    assert len(changes) == 3  # one change per ticket


def test_it_names_the_old_assignee_and_group_and_can_take_them_away(make_ticket, agent, colleague, group):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, assignee=colleague, group=group)
    before = len(history(ticket))

    outcome = bulk([ticket], agent=agent, assignee=None, group=None)

    assert outcome.changed == [ticket.pk]
    ticket.refresh_from_db()
    assert (ticket.assignee, ticket.group) == (None, None)
    assert history(ticket)[before:] == [(EventKind.ASSIGNEE, "Dominique", ""), (EventKind.GROUP, "Billing", "")]


def test_tickets_that_already_have_the_values_are_unchanged_and_get_no_event(make_ticket, agent, colleague):
    behind, ahead, partly = (make_ticket(email=f"p{n}@example.org") for n in range(3))
    ticket_update_by_agent(ahead, agent=agent, priority=Priority.HIGH, assignee=colleague, status=Status.OPEN)
    ticket_update_by_agent(partly, agent=agent, priority=Priority.HIGH, status=Status.OPEN)
    aged(behind, ahead, partly)
    events_before = {ticket.pk: len(history(ticket)) for ticket in (behind, ahead, partly)}

    outcome = bulk([behind, ahead, partly], agent=agent, priority=Priority.HIGH, assignee=colleague, status=Status.OPEN)

    assert sorted(outcome.changed) == sorted([behind.pk, partly.pk])
    assert outcome.unchanged == [ahead.pk]
    assert outcome.refused == []
    ahead.refresh_from_db()
    assert len(history(ahead)) == events_before[ahead.pk]
    assert ahead.updated_at == LONG_AGO  # untouched
    assert history(behind)[events_before[behind.pk] :] == [
        (EventKind.PRIORITY, Priority.NORMAL, Priority.HIGH),
        (EventKind.ASSIGNEE, "", "Dominique"),
        (EventKind.STATUS, Status.NEW, Status.OPEN),
    ]
    # Only what differed is written and recorded.
    assert history(partly)[events_before[partly.pk] :] == [(EventKind.ASSIGNEE, "", "Dominique")]
    partly.refresh_from_db()
    assert partly.updated_at > LONG_AGO + timedelta(days=1)


def test_a_bulk_action_does_not_open_a_new_ticket(make_ticket, agent):
    ticket = make_ticket()
    outcome = bulk([ticket], agent=agent, priority=Priority.LOW)
    assert outcome.changed == [ticket.pk]
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority) == (Status.NEW, Priority.LOW)
    assert history(ticket, EventKind.STATUS) == []


def test_a_closed_ticket_is_refused_and_left_untouched_while_the_others_change(make_ticket, agent):
    closed, worked = make_ticket(subject="Closed"), make_ticket(subject="Worked")
    assert ticket_set_status(closed, Status.CLOSED, actor=None)
    aged(closed)
    closed_events = len(history(closed))

    outcome = bulk([closed, worked], agent=agent, priority=Priority.URGENT, add_tags=["vip"], status=Status.SOLVED)

    assert outcome.refused == [(closed.pk, Refusal.CLOSED)]
    assert (outcome.changed, outcome.unchanged) == ([worked.pk], [])
    closed.refresh_from_db()
    assert (closed.status, closed.priority, closed.updated_at) == (Status.CLOSED, Priority.NORMAL, LONG_AGO)
    assert tag_set(closed) == set()
    assert len(history(closed)) == closed_events
    assert not Survey.objects.filter(ticket=closed).exists()
    worked.refresh_from_db()
    assert (worked.status, worked.priority, tag_set(worked)) == (Status.SOLVED, Priority.URGENT, {"vip"})


def test_an_unknown_ticket_is_refused_as_missing_and_the_rest_goes_ahead(make_ticket, agent):
    ticket = make_ticket()
    gone = make_ticket(subject="Deleted since the list was shown")
    gone_id = gone.pk
    gone.delete()

    outcome = bulk([gone_id, ticket.pk, 999_999], agent=agent, ticket_type=TicketType.INCIDENT)

    assert outcome.refused == [(gone_id, Refusal.MISSING), (999_999, Refusal.MISSING)]
    assert (outcome.changed, outcome.unchanged) == ([ticket.pk], [])
    ticket.refresh_from_db()
    assert ticket.type == TicketType.INCIDENT


def test_nothing_but_unknown_tickets_writes_nothing(agent):
    outcome = bulk([999_998, 999_999], agent=agent, priority=Priority.HIGH, add_tags=["vip"], status=Status.SOLVED)
    assert outcome.refused == [(999_998, Refusal.MISSING), (999_999, Refusal.MISSING)]
    assert (outcome.changed, outcome.unchanged) == ([], [])
    assert not Tag.objects.exists()


@pytest.mark.parametrize("forbidden", [Status.CLOSED, Status.NEW, "archived"])
def test_it_refuses_a_status_agents_cannot_set_and_writes_nothing(tickets, agent, forbidden):
    with pytest.raises(ValueError, match="agents cannot set the status"):
        bulk(tickets, agent=agent, priority=Priority.HIGH, add_tags=["vip"], status=forbidden)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert (ticket.status, ticket.priority) == (Status.NEW, Priority.NORMAL)
        assert history(ticket) == []
    assert not Tag.objects.exists()


# --- Solving and reopening: surveys, deliveries, the "solved" e-mail --------------------------


def test_solving_many_tickets_gives_each_its_solved_at_survey_status_event_and_delivery(tickets, agent):
    ticket_update_by_agent(tickets[0], agent=agent, status=Status.OPEN)

    outcome = bulk(tickets, agent=agent, status=Status.SOLVED)

    assert outcome.changed == pks(tickets)
    for ticket, before in zip(tickets, (Status.OPEN, Status.NEW, Status.NEW), strict=True):
        ticket.refresh_from_db()
        assert ticket.status == Status.SOLVED
        assert ticket.solved_at is not None
        assert ticket.solved_at == ticket.updated_at
        survey = Survey.objects.get(ticket=ticket)
        assert (survey.withdrawn_at, survey.answered_at, survey.rating) == (None, None, None)
        status_event = ticket.events.filter(kind=EventKind.STATUS).last()
        assert (status_event.old_value, status_event.new_value, status_event.actor) == (before, Status.SOLVED, agent)
        # The notifications subscriber was owed that change, and was handed it (tests/conftest.py).
        [delivery] = EventDelivery.objects.filter(
            ticket_id=ticket.pk, change=status_event.change, subscriber="notifications"
        )
        assert (delivery.subscriber, delivery.state, delivery.attempts) == ("notifications", DeliveryState.DONE, 1)


def test_each_requester_receives_the_solved_email(tickets, agent, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=False) as after_commit:
        bulk(tickets, agent=agent, status=Status.SOLVED)
    # After the commit, one hand-off per ticket enqueues the worker's task (here the
    # changes were handed on at once, as that worker does: tests/conftest.py).
    assert sorted(callback.args[0] for callback in after_commit) == sorted(pks(tickets))

    solved = OutboundEmail.objects.filter(kind=OutboundKind.TICKET_SOLVED).order_by("ticket_id")
    assert list(solved.values_list("ticket_id", "to_address")) == [
        (ticket.pk, ticket.requester.email) for ticket in tickets
    ]
    # The solved e-mail is the only one: no separate reply or status e-mail.
    assert not OutboundEmail.objects.exclude(
        kind__in=(OutboundKind.TICKET_SOLVED, OutboundKind.TICKET_CREATED)
    ).exists()

    for email in solved:
        assert email_deliver(email.pk) is True
    assert len(mailoutbox) == len(tickets)
    for sent, ticket in zip(sorted(mailoutbox, key=lambda sent: sent.to[0]), tickets, strict=True):
        assert sent.to == [ticket.requester.email]
        assert f"#{ticket.reference}" in sent.subject
        assert "is solved" in sent.body
        assert re.search(r"http://testserver/en/surveys/[\w-]{43}/", sent.body)


def test_reopening_solved_tickets_in_bulk_withdraws_their_surveys(make_ticket, agent):
    solved = [make_ticket(email=f"p{n}@example.org") for n in range(2)]
    pending = make_ticket(email="pending@example.org")
    bulk(solved, agent=agent, status=Status.SOLVED)
    ticket_update_by_agent(pending, agent=agent, status=Status.PENDING)
    assert Survey.objects.filter(withdrawn_at__isnull=True).count() == 2

    outcome = bulk([*solved, pending], agent=agent, status=Status.OPEN)

    assert sorted(outcome.changed) == sorted(pks([*solved, pending]))
    for ticket in solved:
        ticket.refresh_from_db()
        [survey] = Survey.objects.filter(ticket=ticket)  # withdrawn, and no new one
        assert survey.withdrawn_at == ticket.updated_at
        assert ticket.status == Status.OPEN
        assert history(ticket, EventKind.STATUS)[-1] == (EventKind.STATUS, Status.SOLVED, Status.OPEN)
    assert not Survey.objects.filter(ticket=pending).exists()


def test_solving_again_withdraws_the_open_survey_of_an_earlier_resolution(make_ticket, agent):
    ticket = make_ticket()
    bulk([ticket], agent=agent, status=Status.SOLVED)
    bulk([ticket], agent=agent, status=Status.PENDING)
    first = Survey.objects.get(ticket=ticket)
    assert first.withdrawn_at is not None
    bulk([ticket], agent=agent, status=Status.SOLVED)
    assert Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True).exclude(pk=first.pk).count() == 1


# --- Tags -------------------------------------------------------------------------------------


def test_adding_tags_to_three_tickets_creates_each_tag_once_and_records_its_events(tickets, agent):
    aged(*tickets)

    outcome = bulk(tickets, agent=agent, add_tags=["Refund", "vip", "REFUND "])

    assert outcome.changed == pks(tickets)
    assert list(Tag.objects.values_list("name", flat=True)) == ["refund", "vip"]
    for ticket in tickets:
        ticket.refresh_from_db()
        assert tag_set(ticket) == {"refund", "vip"}
        assert history(ticket) == [(EventKind.TAG_ADDED, "", "refund"), (EventKind.TAG_ADDED, "", "vip")]
        change, actors = last_change(ticket)
        assert ticket.events.filter(change=change).count() == 2
        assert actors == {agent.pk}
        assert ticket.updated_at > LONG_AGO + timedelta(days=1)
        # Tags e-mail nobody: only the rules and the service-level clocks (each may choose by tag), the
        # reports (whose figures filter by tag) and the webhooks (ticket.updated) are owed this change.
        owed = set(EventDelivery.objects.filter(change=change).values_list("subscriber", flat=True))
        assert owed == {"reports", "rules", "sla", "webhooks"}


def test_an_existing_tag_is_reused_and_tags_a_ticket_has_leave_it_unchanged(tickets, agent):
    first, second, third = tickets
    bulk([first], agent=agent, add_tags=["refund", "vip"])
    bulk([second], agent=agent, add_tags=["vip"])
    vip = Tag.objects.get(name="vip")
    aged(*tickets)
    before = {ticket.pk: len(history(ticket)) for ticket in tickets}

    outcome = bulk(tickets, agent=agent, add_tags=["VIP", "Refund"])

    assert outcome.unchanged == [first.pk]
    assert outcome.changed == [second.pk, third.pk]
    assert Tag.objects.count() == 2
    assert Tag.objects.get(name="vip") == vip
    first.refresh_from_db()
    assert (len(history(first)), first.updated_at) == (before[first.pk], LONG_AGO)
    assert history(second)[before[second.pk] :] == [(EventKind.TAG_ADDED, "", "refund")]
    assert history(third)[before[third.pk] :] == [
        (EventKind.TAG_ADDED, "", "vip"),
        (EventKind.TAG_ADDED, "", "refund"),
    ]

    again = bulk(tickets, agent=agent, add_tags=["refund", "vip"])
    assert (again.changed, again.unchanged) == ([], pks(tickets))


def test_removing_a_tag_records_its_name_as_the_old_value(tickets, agent):
    tagged, also_tagged, untagged = tickets
    bulk([tagged, also_tagged], agent=agent, add_tags=["refund", "vip"])
    aged(untagged)
    before = len(history(untagged))

    outcome = bulk(tickets, agent=agent, remove_tags=["VIP!"])

    assert outcome.changed == [tagged.pk, also_tagged.pk]
    assert outcome.unchanged == [untagged.pk]
    for ticket in (tagged, also_tagged):
        assert tag_set(ticket) == {"refund"}
        assert history(ticket)[-1] == (EventKind.TAG_REMOVED, "vip", "")
        assert last_change(ticket)[1] == {agent.pk}
    untagged.refresh_from_db()
    assert (len(history(untagged)), untagged.updated_at) == (before, LONG_AGO)
    assert Tag.objects.filter(name="vip").exists()  # the tag stays for other tickets


def test_a_tag_both_added_and_removed_in_one_call_is_only_removed(make_ticket, agent):
    has_it, lacks_it = make_ticket(subject="Has vip"), make_ticket(subject="Lacks vip")
    bulk([has_it], agent=agent, add_tags=["vip"])
    before = {ticket.pk: len(history(ticket)) for ticket in (has_it, lacks_it)}

    bulk([has_it, lacks_it], agent=agent, add_tags=["vip", "refund"], remove_tags=["Vip"])

    assert tag_set(has_it) == {"refund"}
    assert tag_set(lacks_it) == {"refund"}
    assert history(has_it)[before[has_it.pk] :] == [
        (EventKind.TAG_ADDED, "", "refund"),
        (EventKind.TAG_REMOVED, "vip", ""),
    ]
    assert history(lacks_it)[before[lacks_it.pk] :] == [(EventKind.TAG_ADDED, "", "refund")]


def test_a_tag_added_and_removed_at_once_is_not_created(make_ticket, agent):
    ticket = make_ticket()
    outcome = bulk([ticket], agent=agent, add_tags=["Brand New"], remove_tags=["brand new"])
    assert (outcome.changed, outcome.unchanged) == ([], [ticket.pk])
    assert not Tag.objects.exists()


# --- A fixed number of statements -----------------------------------------------------------

# Every kind of statement a bulk action runs (every field, tags added and removed, a status),
# whatever the number of tickets: 1 the savepoint of the service's atomic block (BEGIN outside a
# test), 2 the tickets, locked (FOR UPDATE on PostgreSQL), with assignee and group joined, 3-6 one
# UPDATE per field (priority, type, assignee, group), 7 the new tags (INSERT ... ON CONFLICT DO
# NOTHING / INSERT OR IGNORE), 8 the ids of the tags added, 9 the links the tickets already have,
# 10 the new links (one INSERT), 11 the links to remove, with their tag's name, 12 their DELETE,
# 13 the status columns (status, solved_at, updated_at) of the tickets that move, 14 the open
# surveys of those tickets withdrawn, 15 their new surveys (one INSERT), 16 updated_at of the
# tickets changed that did not move, 17 every event of every ticket (one INSERT), 18 what the
# subscribers are owed (one INSERT; the changes are handed on after commit: not counted),
# 19 the savepoint released, 20 the fields required to solve (comptoir.tickets.solve_guards: none
# defined here, so no values are read; a status "solved" asks once for all the tickets). Same count
# on SQLite and PostgreSQL.
BULK_QUERIES = 20


# 100 tickets (the most a request may change) write 800 events: one INSERT of 7,200 values, within
# SQLite's limit as comptoir/core/sqlite3 reads it (Django alone assumes 999 and would split it).
@pytest.mark.parametrize("count", [5, 50, 100])
def test_a_bulk_action_runs_the_same_statements_over_5_and_50_tickets(
    make_ticket, agent, colleague, group, count, django_assert_num_queries, django_capture_on_commit_callbacks
):
    tickets = [make_ticket(email=f"p{n}@example.org", subject=f"Problem {n}") for n in range(count)]
    bulk(tickets, agent=agent, add_tags=["old"])
    bulk(tickets[:1], agent=agent, status=Status.SOLVED)  # changed by the action without moving

    # The request's transaction: the changes are handed on when it ends (tests/conftest.py), not counted.
    with (
        django_capture_on_commit_callbacks(execute=False) as after_commit,
        transaction.atomic(),
        django_assert_num_queries(BULK_QUERIES),
    ):
        outcome = bulk(
            tickets,
            agent=agent,
            priority=Priority.HIGH,
            ticket_type=TicketType.INCIDENT,
            assignee=colleague,
            group=group,
            add_tags=["Refund", "vip"],
            remove_tags=["old"],
            status=Status.SOLVED,
        )

    assert outcome.changed == pks(tickets)
    assert Ticket.tags.through.objects.filter(ticket__in=tickets).count() == 2 * count
    # Every ticket's change was written: 4 fields, 2 tags added, 1 removed, the status but for the first;
    # with the tag "old" of each and the first's status, from before.
    assert sum(len(history(ticket)) for ticket in tickets) == (7 * count + count - 1) + (count + 1)
    # After commit, one hand-off per ticket whose change a subscriber wants: every one here (the
    # agents' notices want the assignee and the group; the e-mails, those solved now).
    assert sorted(callback.args[0] for callback in after_commit) == pks(tickets)


# --- One ticket's submit ----------------------------------------------------------------------


def test_a_submit_with_tags_records_them_in_the_change_of_its_reply_as_a_bulk_action_would(make_ticket, agent):
    ticket, twin = make_ticket(subject="Submit"), make_ticket(subject="Bulk")
    for each in (ticket, twin):
        ticket_update_by_agent(each, agent=agent, add_tags=["old", "billing"], status=Status.OPEN)
    before = len(history(ticket))

    message = ticket_update_by_agent(
        ticket, agent=agent, body="Refunded.", add_tags=["Refund", "VIP", "billing"], remove_tags=["OLD"]
    )

    assert message is not None
    assert tag_set(ticket) == {"billing", "refund", "vip"}
    reply = ticket.events.get(kind=EventKind.REPLY)
    assert reply.message == message
    change = list(
        ticket.events.filter(change=reply.change).order_by("id").values_list("kind", "old_value", "new_value")
    )
    assert change == [
        (EventKind.TAG_ADDED, "", "refund"),
        (EventKind.TAG_ADDED, "", "vip"),
        (EventKind.TAG_REMOVED, "old", ""),
        (EventKind.REPLY, "", ""),
    ]
    assert history(ticket)[before:] == change  # nothing else was recorded
    assert set(ticket.events.filter(change=reply.change).values_list("actor", flat=True)) == {agent.pk}

    bulk([twin], agent=agent, add_tags=["Refund", "VIP", "billing"], remove_tags=["OLD"])
    assert history(twin, *TAG_KINDS)[2:] == history(ticket, *TAG_KINDS)[2:]


@pytest.mark.parametrize(
    "tags",
    [{"add_tags": ["vip"]}, {"remove_tags": ["old"]}, {"add_tags": ["vip"], "body": "Tagging.", "is_public": False}],
)
def test_a_submit_with_tags_on_a_closed_ticket_raises_ticket_closed(make_ticket, agent, tags):
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=agent, add_tags=["old"])
    ticket.refresh_from_db()
    assert ticket_set_status(ticket, Status.CLOSED, actor=None)
    before = len(history(ticket))

    with pytest.raises(TicketClosed):
        ticket_update_by_agent(ticket, agent=agent, **tags)

    assert tag_set(ticket) == {"old"}
    assert len(history(ticket)) == before
    assert ticket.messages.count() == 1
