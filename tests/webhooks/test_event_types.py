"""Which webhook event types a change makes, and what the purge forgets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.core.purge import purge_all
from comptoir.tickets.models import EventKind, TicketEvent
from comptoir.webhooks.events import occurrences
from comptoir.webhooks.models import WebhookDelivery
from comptoir.webhooks.services import deliveries_purge, deliveries_send_due


def _events(*kinds: tuple[str, str]) -> list[TicketEvent]:
    return [TicketEvent(pk=index, kind=kind, new_value=new) for index, (kind, new) in enumerate(kinds, start=1)]


def _types(*kinds: tuple[str, str]) -> list[tuple[str, list[int]]]:
    return [(o.event_type, [event.pk for event in o.events]) for o in occurrences(_events(*kinds))]


def test_a_new_ticket_is_one_ticket_created_whatever_else_its_write_recorded():
    assert _types((EventKind.CREATED, "new"), (EventKind.TAG_ADDED, "vip")) == [("ticket.created", [1])]


def test_field_changes_of_one_write_are_one_ticket_updated():
    assert _types((EventKind.PRIORITY, "high"), (EventKind.NOTE, ""), (EventKind.TAG_ADDED, "vip")) == [
        ("ticket.updated", [1, 3]),
        ("message.created", [2]),
    ]


def test_solved_breached_and_answered_have_their_own_types():
    assert _types((EventKind.REPLY, ""), (EventKind.STATUS, "solved")) == [
        ("message.created", [1]),
        ("ticket.solved", [2]),
    ]
    assert _types((EventKind.STATUS, "pending")) == [("ticket.updated", [1])]
    assert _types((EventKind.SLA_BREACH, "")) == [("sla.breached", [1])]
    assert _types((EventKind.SATISFACTION, "4/5")) == [("survey.answered", [1])]


def test_what_tells_nobody_outside_makes_nothing():
    assert _types((EventKind.RULE_EMAIL, ""), (EventKind.DELIVERY_FAILED, "")) == []


@pytest.mark.django_db
def test_finished_deliveries_are_purged_after_thirty_days_with_their_attempts(webhook, receiver, make_ticket):
    make_ticket()
    deliveries_send_due()
    delivery = WebhookDelivery.objects.get()
    assert deliveries_purge(now=delivery.finished_at + timedelta(days=29)) == 0
    assert deliveries_purge(now=delivery.finished_at + timedelta(days=31)) == 2  # the delivery and its attempt
    make_ticket(email="bob@example.net")  # waiting: never purged
    WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(days=90))
    assert purge_all()["webhook_deliveries"] == 0
    assert WebhookDelivery.objects.count() == 1
