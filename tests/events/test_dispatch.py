"""The dispatcher: each change once, in order per ticket, failures retried on their own."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.sites import site
from django.urls import reverse
from django.utils import timezone

from comptoir.events.dispatch import MAX_ATTEMPTS, dispatch_ticket, stalled_ticket_ids
from comptoir.events.models import DeliveryState, EventDelivery
from comptoir.events.registry import subscribe, unsubscribe
from comptoir.tickets.models import EventKind, Status
from comptoir.tickets.services import ticket_reply_by_requester, ticket_set_status
from tests.events.recorder import NAME, recording

pytestmark = pytest.mark.django_db


def owed(name: str = NAME) -> list[EventDelivery]:
    return list(EventDelivery.objects.filter(subscriber=name).order_by("id"))


def test_it_hands_a_change_over_once_and_marks_it_done(make_ticket):
    with recording() as recorder:
        ticket = make_ticket()
        assert recorder.kinds(ticket.pk) == [EventKind.CREATED]
        assert dispatch_ticket(ticket.pk).done == 0  # nothing is owed twice
    [delivery] = owed()
    assert (delivery.state, delivery.attempts, delivery.ticket_id) == (DeliveryState.DONE, 1, ticket.pk)
    assert delivery.finished_at is not None


def test_it_hands_the_events_of_one_write_over_together(make_ticket, agent):
    with recording() as recorder:
        ticket = make_ticket()
        ticket_set_status(ticket, Status.PENDING, actor=agent)
        ticket_reply_by_requester(ticket=ticket, body="Here is the log.", channel="web")
    # The reply and the reopening it caused are one change; the status set before is another.
    assert len(recorder.changes) == 3
    assert recorder.kinds(ticket.pk) == [EventKind.CREATED, EventKind.STATUS, EventKind.REPLY, EventKind.STATUS]


def test_a_subscriber_is_owed_only_the_kinds_it_listens_to(make_ticket, agent):
    with recording(kinds=frozenset({EventKind.STATUS})) as recorder:
        ticket = make_ticket()
        assert owed() == []
        ticket_set_status(ticket, Status.OPEN, actor=agent)
    assert recorder.kinds(ticket.pk) == [EventKind.STATUS]
    assert len(owed()) == 1


def test_a_failing_subscriber_waits_for_its_retry_and_blocks_neither_the_write_nor_others(make_ticket, agent):
    with recording() as recorder:
        recorder.fail_next = 1
        ticket = make_ticket()  # the write itself succeeds
        [delivery] = owed()
        assert delivery.state == DeliveryState.PENDING
        assert delivery.attempts == 1
        assert "the recorder was told to fail" in delivery.last_error
        assert delivery.next_attempt_at is not None
        assert timedelta(seconds=29) < delivery.next_attempt_at - timezone.now() <= timedelta(seconds=30)
        # The notifications subscriber was handed the same change and did its part.
        assert EventDelivery.objects.get(subscriber="notifications").state == DeliveryState.DONE
        assert ticket.outbound_emails.count() == 1

        # A later change on the same ticket does not overtake the failed one.
        ticket_set_status(ticket, Status.OPEN, actor=agent)
        assert recorder.events == []
        assert [d.state for d in owed()] == [DeliveryState.PENDING, DeliveryState.PENDING]

        # Its retry falls due: both are handed over, oldest first.
        later = timezone.now() + timedelta(seconds=31)
        assert dispatch_ticket(ticket.pk, now=later).done == 2
    assert recorder.kinds(ticket.pk) == [EventKind.CREATED, EventKind.STATUS]
    assert [d.state for d in owed()] == [DeliveryState.DONE, DeliveryState.DONE]


def test_it_gives_up_after_the_last_attempt_and_goes_on_with_the_next_change(make_ticket, agent):
    with recording() as recorder:
        recorder.fail_next = MAX_ATTEMPTS
        ticket = make_ticket()
        ticket_set_status(ticket, Status.OPEN, actor=agent)
        now = timezone.now()
        for _ in range(MAX_ATTEMPTS):
            now += timedelta(hours=2)
            dispatch_ticket(ticket.pk, now=now)
    first, second = owed()
    assert (first.state, first.attempts) == (DeliveryState.FAILED, MAX_ATTEMPTS)
    assert second.state == DeliveryState.DONE
    assert recorder.kinds(ticket.pk) == [EventKind.STATUS]


def test_a_change_no_subscriber_knows_any_more_is_given_up_with_the_reason(make_ticket):
    ticket = make_ticket()
    EventDelivery.objects.create(ticket_id=ticket.pk, change=ticket.events.get().change, subscriber="gone")
    dispatch_ticket(ticket.pk)
    delivery = EventDelivery.objects.get(subscriber="gone")
    assert delivery.state == DeliveryState.FAILED
    assert "no subscriber named 'gone'" in delivery.last_error


def test_the_beat_job_finds_lost_changes_and_due_retries_only(make_ticket):
    with recording() as recorder:
        recorder.fail_next = 1
        failing = make_ticket(subject="failing")
    lost = make_ticket(subject="lost")
    fresh = make_ticket(subject="fresh")
    EventDelivery.objects.filter(ticket_id__in=[lost.pk, fresh.pk]).update(state=DeliveryState.PENDING)
    EventDelivery.objects.filter(ticket_id=lost.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    now = timezone.now()
    assert stalled_ticket_ids(now=now) == [lost.pk]
    assert stalled_ticket_ids(now=now + timedelta(seconds=31)) == [failing.pk, lost.pk]


def test_an_admin_sees_failures_and_tries_again(client, make_ticket):
    admin = type(make_ticket().requester).objects.create_superuser("root@example.com", "root-password")
    with recording() as recorder:
        recorder.fail_next = MAX_ATTEMPTS
        ticket = make_ticket()
        now = timezone.now()
        for _ in range(MAX_ATTEMPTS):
            now += timedelta(hours=2)
            dispatch_ticket(ticket.pk, now=now)
        [delivery] = owed()
        assert delivery.state == DeliveryState.FAILED
        client.force_login(admin)
        listing = client.get(reverse("admin:events_eventdelivery_changelist") + "?state=failed")
        assert "the recorder was told to fail" in listing.content.decode()
        response = client.post(
            reverse("admin:events_eventdelivery_changelist"),
            {"action": "retry", "_selected_action": [delivery.pk]},
        )
        assert response.status_code == 302
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (DeliveryState.PENDING, 0)
        dispatch_ticket(ticket.pk)
    assert recorder.kinds(ticket.pk) == [EventKind.CREATED]
    assert EventDelivery.objects.get(pk=delivery.pk).state == DeliveryState.DONE
    assert site.is_registered(EventDelivery)


def test_a_name_cannot_be_taken_twice():
    def one(change):  # pragma: no cover - never called
        pass

    def other(change):  # pragma: no cover - never called
        pass

    subscribe("twice", kinds={EventKind.CREATED})(one)
    try:
        with pytest.raises(ValueError, match="already registered"):
            subscribe("twice", kinds={EventKind.CREATED})(other)
    finally:
        unsubscribe("twice")
