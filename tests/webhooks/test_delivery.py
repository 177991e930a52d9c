"""Delivery to a real receiver on loopback: signed, at least once, in order per ticket, every attempt logged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks import Webhook as Verifier

from comptoir.accounts.models import Role, User
from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.models import Priority, Status
from comptoir.tickets.services import ticket_reply_by_requester, ticket_update_by_agent
from comptoir.webhooks.models import DeliveryState, DisabledReason, EventType, Webhook, WebhookAttempt, WebhookDelivery
from comptoir.webhooks.services import (
    deliveries_send_due,
    delivery_send_again,
    webhook_call_for_rule,
    webhook_create,
    webhook_secret_rotate,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def camille(db) -> User:
    return User.objects.create_user("camille@example.com", name="Camille Martin", role=Role.AGENT)


def _payload(received) -> dict:
    return json.loads(received.body)


def test_a_new_ticket_is_posted_signed_as_standard_webhooks_say(webhook, receiver, make_ticket):
    ticket = make_ticket(subject="Printer on fire")

    assert deliveries_send_due() == 1

    [request] = receiver.received
    assert request.path == "/hooks/comptoir"
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"].startswith("msg_")
    # The standardwebhooks package checks the id, the time and the HMAC against the secret shown to the admin.
    payload = Verifier(webhook.secret).verify(request.body, headers)
    assert payload["type"] == "ticket.created"
    assert payload["data"]["ticket"]["reference"] == ticket.reference
    assert payload["data"]["ticket"]["subject"] == "Printer on fire"
    assert payload["data"]["event"]["kind"] == "created"
    assert payload["data"]["message"]["body"] == "The export button does nothing."
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.attempts, delivery.message_id) == (
        DeliveryState.DELIVERED,
        1,
        headers["webhook-id"],
    )
    [attempt] = delivery.attempt_log.all()
    assert attempt.ok and attempt.status_code == 204


def test_a_body_signed_with_another_secret_does_not_verify(webhook, receiver, make_ticket, owner):
    make_ticket()
    deliveries_send_due()
    other = webhook_create(owner=owner, url=receiver.url, description="", event_types=["ticket.solved"])
    [request] = receiver.received

    from standardwebhooks import WebhookVerificationError

    with pytest.raises(WebhookVerificationError):
        Verifier(other.secret).verify(request.body, request.headers)


def test_receiver_down_then_up_every_event_arrives_once_in_order_per_ticket(webhook, receiver, make_ticket, camille):
    receiver.stop()
    assert receiver.is_down()
    first = make_ticket(subject="First")
    second = make_ticket(email="bob@example.net", subject="Second")
    ticket_update_by_agent(first, agent=camille, body="Looking into it.", priority=Priority.HIGH)
    ticket_reply_by_requester(ticket=first, body="Thanks!", channel="web")
    ticket_update_by_agent(first, agent=camille, status=Status.SOLVED)
    ticket_update_by_agent(second, agent=camille, body="Internal: ask billing.", is_public=False)
    owed = list(WebhookDelivery.objects.order_by("id"))
    # An agent's priority and reply, one change: the update (recorded first) and the message.
    assert [d.event_type for d in owed if d.ticket_id == first.pk] == [
        "ticket.created",
        "ticket.updated",
        "message.created",
        "message.created",
        "ticket.solved",
    ]
    # The note opens the new ticket: a message, then the status it set.
    assert [d.event_type for d in owed if d.ticket_id == second.pk] == [
        "ticket.created",
        "message.created",
        "ticket.updated",
    ]

    now = timezone.now()
    # Down for a while: each try reaches only the oldest delivery of each ticket; the later ones wait behind it.
    for minutes in (0, 1, 3, 10):
        deliveries_send_due(now=now + timedelta(minutes=minutes))
    heads = {owed[0].pk, next(d.pk for d in owed if d.ticket_id == second.pk)}
    tried = set(WebhookAttempt.objects.values_list("delivery_id", flat=True))
    assert tried == heads
    assert not WebhookAttempt.objects.filter(ok=True).exists()
    assert set(WebhookAttempt.objects.values_list("error", flat=True)) == {"Connection refused."}

    receiver.start()
    deliveries_send_due(now=now + timedelta(hours=1))

    delivered = list(WebhookDelivery.objects.order_by("id"))
    assert {d.state for d in delivered} == {DeliveryState.DELIVERED}
    ids = [request.headers["webhook-id"] for request in receiver.received]
    assert sorted(ids) == sorted(d.message_id for d in delivered)  # each once
    for ticket in (first, second):
        sent = [i for i in ids if i in {d.message_id for d in delivered if d.ticket_id == ticket.pk}]
        assert sent == [d.message_id for d in delivered if d.ticket_id == ticket.pk]  # in order
    for delivery in delivered:
        # Every attempt logged, one of them the success.
        assert delivery.attempt_log.count() == delivery.attempts
        assert delivery.attempt_log.filter(ok=True).count() == 1
    verifier = Verifier(webhook.secret)
    types = [verifier.verify(r.body, r.headers)["type"] for r in receiver.received]
    assert types.count("message.created") == 3


def test_a_failure_waits_for_its_back_off(webhook, receiver, make_ticket):
    receiver.status = 503
    receiver.answer = b"maintenance"
    make_ticket()
    now = timezone.now()
    deliveries_send_due(now=now)
    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at == now + timedelta(seconds=30)
    assert deliveries_send_due(now=now + timedelta(seconds=29)) == 0
    assert deliveries_send_due(now=now + timedelta(seconds=30)) == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == now + timedelta(seconds=30) + timedelta(minutes=1)
    attempt = delivery.attempt_log.first()
    assert (attempt.status_code, attempt.response_excerpt) == (503, "maintenance")
    assert attempt.error == ""  # the status says it: the page words it in the reader's language


def test_a_webhook_failing_for_a_day_is_disabled_and_its_owner_emailed(webhook, receiver, make_ticket, owner):
    receiver.status = 500
    make_ticket()
    now = timezone.now()
    delivery = WebhookDelivery.objects.get()
    while delivery.state == DeliveryState.PENDING:
        deliveries_send_due(now=now)
        delivery.refresh_from_db()
        if delivery.next_attempt_at is not None:
            now = delivery.next_attempt_at
        assert delivery.attempts < 30

    webhook.refresh_from_db()
    assert not webhook.active
    assert webhook.disabled_reason == DisabledReason.FAILING
    assert delivery.state == DeliveryState.FAILED
    # Exponential back-off over a day: about sixteen attempts, the last one at the day's end.
    assert 12 <= delivery.attempts <= 20
    first_attempt = delivery.attempt_log.order_by("id").first()
    assert delivery.finished_at - first_attempt.attempted_at == timedelta(hours=24)
    assert delivery.attempt_log.count() == delivery.attempts

    email = OutboundEmail.objects.get(kind=OutboundKind.WEBHOOK_DISABLED)
    assert email.to_address == owner.email
    email_deliver(email.pk)
    [sent] = mail.outbox
    # In the owner's language (English here: the French catalogue is compiled apart).
    assert email.language == "en"
    assert sent.subject == f"Webhook disabled: {receiver.url}"
    assert f"/agent/settings/webhooks/{webhook.pk}/" in sent.body

    # Disabled: owed nothing new.
    make_ticket(subject="After")
    assert WebhookDelivery.objects.count() == 1


def test_one_success_in_the_day_keeps_the_webhook_on(webhook, receiver, make_ticket):
    receiver.status = 500
    make_ticket()
    now = timezone.now()
    deliveries_send_due(now=now)
    receiver.status = 200
    make_ticket(email="bob@example.net")
    deliveries_send_due(now=now + timedelta(hours=12))
    receiver.status = 500
    make_ticket(email="carol@example.net")
    deliveries_send_due(now=now + timedelta(hours=25))
    webhook.refresh_from_db()
    assert webhook.active
    # Failing since the third delivery's failure, not since the first: the success in between counts.
    assert webhook.failing_since == now + timedelta(hours=25)


def test_send_again_sends_the_same_body_under_the_same_id(webhook, receiver, make_ticket):
    make_ticket()
    deliveries_send_due()
    delivery = WebhookDelivery.objects.get()
    delivery_send_again(delivery)
    deliveries_send_due()
    first, second = receiver.received
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 2)


def test_a_rotated_secret_signs_beside_the_old_one_for_a_day(webhook, receiver, make_ticket):
    old = webhook.secret
    new = webhook_secret_rotate(webhook)
    make_ticket()
    deliveries_send_due()
    [request] = receiver.received
    Verifier(old).verify(request.body, request.headers)
    Verifier(new).verify(request.body, request.headers)

    webhook.previous_secret_until = timezone.now() - timedelta(seconds=1)
    webhook.save()
    delivery = WebhookDelivery.objects.get()
    delivery_send_again(delivery)
    deliveries_send_due()
    later = receiver.received[1]
    Verifier(new).verify(later.body, later.headers)
    assert len(later.headers["webhook-signature"].split(" ")) == 1


def test_only_the_types_subscribed_are_owed(owner, receiver, loopback_allowed, make_ticket, camille):
    webhook_create(owner=owner, url=receiver.url, description="", event_types=[EventType.TICKET_SOLVED])
    ticket = make_ticket()
    ticket_update_by_agent(ticket, agent=camille, body="Done.", status=Status.SOLVED)
    assert list(WebhookDelivery.objects.values_list("event_type", flat=True)) == ["ticket.solved"]


def test_a_rule_calls_a_webhook_whatever_it_subscribed_to(owner, receiver, loopback_allowed, make_ticket):
    hook = webhook_create(owner=owner, url=receiver.url, description="", event_types=[EventType.SLA_BREACHED])
    ticket = make_ticket()
    event = ticket.events.get()
    delivery = webhook_call_for_rule(webhook_id=hook.pk, ticket_id=ticket.pk, event_id=event.pk, rule_name="VIP")
    assert delivery is not None
    deliveries_send_due()
    [request] = receiver.received
    payload = Verifier(hook.secret).verify(request.body, request.headers)
    assert payload["type"] == "rule.called"
    assert payload["data"]["rule"] == {"name": "VIP"}
    assert payload["data"]["event"]["id"] == event.pk
    assert payload["data"]["ticket"]["reference"] == ticket.reference

    hook.active = False
    hook.save()
    assert webhook_call_for_rule(webhook_id=hook.pk, ticket_id=ticket.pk, event_id=None) is None


def test_workers_side_by_side_never_send_one_delivery_twice_at_once(webhook, receiver, make_ticket):
    from comptoir.webhooks.services import delivery_attempt

    make_ticket()
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    # The first worker's claim holds the delivery for its lease: a second worker finds nothing to send.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=now + timedelta(minutes=2))
    assert delivery_attempt(delivery.pk, now=now) is None
    assert receiver.received == []
    # A worker killed mid-send: once the lease is over the delivery is sent again (at least once).
    assert delivery_attempt(delivery.pk, now=now + timedelta(minutes=2)) is not None
    assert len(receiver.received) == 1


def test_deliveries_of_a_disabled_webhook_are_given_up(webhook, receiver, make_ticket):
    from comptoir.webhooks.services import webhook_update

    make_ticket()
    webhook_update(webhook, url=webhook.url, description="", event_types=webhook.event_types, active=False)
    assert deliveries_send_due() == 0
    assert WebhookDelivery.objects.get().state == DeliveryState.FAILED
    assert Webhook.objects.get().disabled_reason == DisabledReason.BY_ADMIN
    assert not OutboundEmail.objects.filter(kind=OutboundKind.WEBHOOK_DISABLED).exists()


def test_a_receiver_dripping_its_answer_is_cut_off_at_the_deadline(webhook, monkeypatch, loopback_allowed):
    """Each read is quick, but the whole answer would take far longer than the exchange may."""
    import socket as sockets
    import threading

    from comptoir.webhooks import transport

    server = sockets.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    stop = threading.Event()

    def drip() -> None:
        connection, _address = server.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 200:
                if stop.wait(0.05):  # a byte each 50 ms: 10 s for the headers alone
                    return
                connection.sendall(bytes([byte]))

    threading.Thread(target=drip, daemon=True).start()
    monkeypatch.setattr(transport, "TOTAL_TIMEOUT", 0.5)
    try:
        answer = transport.post(f"http://127.0.0.1:{port}/", b"{}", {})
    finally:
        stop.set()
        server.close()

    assert (answer.ok, answer.status_code, answer.error) == (False, None, "No answer in time.")
