"""Providers' webhooks (django-anymail): signed inbound mail is ingested, anything else is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest
from django.conf import settings

from comptoir.mail.models import EmailSuppression, InboundEmail, OutboundEmail, OutboundStatus
from comptoir.mail.outbound import email_queue
from comptoir.tickets.models import Channel, Ticket
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db

INBOUND_URL = "/webhooks/anymail/mailgun/inbound_mime/"
SIGNING_KEY = settings.ANYMAIL["MAILGUN_WEBHOOK_SIGNING_KEY"]


def basic_auth(secret: str = settings.ANYMAIL["WEBHOOK_SECRET"]) -> str:
    return "Basic " + base64.b64encode(secret.encode()).decode()


def mailgun_fields(raw: bytes, *, key: str = SIGNING_KEY) -> dict[str, str]:
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {
        "body-mime": raw.decode(),
        "timestamp": timestamp,
        "token": token,
        "signature": signature,
        "recipient": "support@comptoir.localhost",
        "sender": "bob@example.net",
    }


def test_a_signed_mailgun_message_becomes_a_ticket(client):
    raw = raw_message(subject="Sent through Mailgun", message_id="<mailgun-1@example.net>")

    response = client.post(INBOUND_URL, mailgun_fields(raw), HTTP_AUTHORIZATION=basic_auth())

    assert response.status_code == 200
    stored = InboundEmail.objects.get()
    assert stored.source == "webhook:mailgun"
    assert stored.message_id == "mailgun-1@example.net"
    ticket = Ticket.objects.get()
    assert ticket.subject == "Sent through Mailgun"
    assert ticket.channel == Channel.EMAIL
    assert "printer in room 4 is on fire" in ticket.messages.get().body


def test_the_same_webhook_delivered_twice_makes_one_ticket(client):
    fields = mailgun_fields(raw_message(message_id="<mailgun-twice@example.net>"))

    for _ in range(2):
        assert client.post(INBOUND_URL, fields, HTTP_AUTHORIZATION=basic_auth()).status_code == 200

    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.count() == 1


@pytest.mark.parametrize(
    ("fields_key", "auth"),
    [
        ("wrong-signing-key", basic_auth()),  # forged provider signature
        (SIGNING_KEY, basic_auth("hook:wrong")),  # wrong shared secret
        (SIGNING_KEY, None),  # no shared secret at all
    ],
)
def test_an_unverified_webhook_is_refused_and_stores_nothing(client, fields_key, auth):
    headers = {"HTTP_AUTHORIZATION": auth} if auth else {}

    response = client.post(INBOUND_URL, mailgun_fields(raw_message(), key=fields_key), **headers)

    assert response.status_code == 400
    assert InboundEmail.objects.count() == 0
    assert Ticket.objects.count() == 0


def test_a_provider_bounce_event_stops_mail_to_the_address(client, make_ticket):
    ticket = make_ticket()
    timestamp, token = str(int(time.time())), "b" * 50
    signature = hmac.new(SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    event = {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": "failed",
            "severity": "permanent",
            "timestamp": float(timestamp),
            "id": "event-1",
            "recipient": ticket.requester.email,
            "message": {"headers": {"message-id": "x@mailgun"}},
            "delivery-status": {"code": 550, "message": "mailbox unavailable", "description": ""},
            "reason": "bounce",
        },
    }

    response = client.post(
        "/webhooks/anymail/mailgun/tracking/", event, content_type="application/json", HTTP_AUTHORIZATION=basic_auth()
    )

    assert response.status_code == 200
    assert EmailSuppression.objects.filter(email=ticket.requester.email).exists()
    held = email_queue(kind="agent_reply", to=ticket.requester.email, language="en", ticket_id=ticket.pk)
    assert held.status == OutboundStatus.SUPPRESSED
    assert "bounced" in OutboundEmail.objects.get(pk=held.pk).last_error
