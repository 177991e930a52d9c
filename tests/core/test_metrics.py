"""/metrics: Prometheus's format behind a bearer token, every figure read from the database at scrape time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from comptoir.gateway.inbound import ingest
from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundKind, OutboundStatus
from comptoir.sla.models import Metric, SlaPolicy, TicketSla
from comptoir.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def _token(settings) -> None:
    settings.COMPTOIR_METRICS_TOKEN = TOKEN


def scrape(client) -> dict[str, float]:
    """Every sample, keyed "name{label=value,...}"."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            labels = ",".join(f"{key}={value}" for key, value in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


def test_it_does_not_exist_without_a_token(client, settings):
    settings.COMPTOIR_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"])
def test_a_missing_or_wrong_token_is_refused(client, authorization):
    headers = {} if authorization is None else {"HTTP_AUTHORIZATION": authorization}
    response = client.get("/metrics", **headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert b"comptoir_" not in response.content


def _mail(raw_from: str, subject: str) -> bytes:
    return (
        f"From: {raw_from}\r\nTo: support@comptoir.localhost\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@example.org>\r\nDate: Thu, 3 Dec 2026 10:00:00 +0000\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThe export button does nothing.\r\n"
    ).encode()


def populate(make_ticket) -> None:
    """Two tickets by the web, one by e-mail, one e-mail quarantined, mail out in each state, a breach, failures."""
    ticket = make_ticket()
    make_ticket(email="bob@example.org", subject="Second")
    ingest(_mail("Carol <carol@example.org>", "Printer on fire"), source="pipe")
    ingest(_mail("support@comptoir.localhost", "A loop"), source="pipe")
    # Their ingest times, made known: 0.3 s for one, 20 s for the other.
    now = timezone.now()
    for row, seconds in zip(InboundEmail.objects.order_by("pk"), (0.3, 20), strict=True):
        InboundEmail.objects.filter(pk=row.pk).update(received_at=now, processed_at=now + timedelta(seconds=seconds))

    OutboundEmail.objects.update(status=OutboundStatus.SENT)
    for status in (OutboundStatus.BOUNCED, OutboundStatus.QUEUED, OutboundStatus.QUEUED):
        OutboundEmail.objects.create(
            kind=OutboundKind.ACCOUNT, to_address="x@example.org", language="en", status=status
        )
    OutboundEmail.objects.filter(status=OutboundStatus.QUEUED).update(created_at=F("created_at") - timedelta(hours=2))

    policy = SlaPolicy.objects.create(name="Everyone")
    TicketSla.objects.create(
        ticket=ticket,
        policy=policy,
        metric=Metric.choices[0][0],
        started_at=now,
        due_at=now,
        warn_at=now,
        breached_at=now,
    )

    hook = Webhook.objects.create(url="https://hooks.example.org/in", secret="whsec_x")
    delivery = WebhookDelivery.objects.create(
        webhook=hook, ticket_id=ticket.pk, event_type="ticket.created", message_id="msg_1", body="{}", created_at=now
    )
    for ok, status_code in ((False, 500), (False, None), (True, 200)):
        WebhookAttempt.objects.create(delivery=delivery, attempted_at=now, ok=ok, status_code=status_code)


def test_it_reports_comptoir_s_figures(client, make_ticket):
    populate(make_ticket)
    sent = OutboundEmail.objects.filter(status=OutboundStatus.SENT).count()
    assert InboundEmail.objects.filter(status=InboundStatus.QUARANTINED).count() == 1

    samples = scrape(client)

    assert samples["comptoir_tickets_created_total{}"] == 3
    assert samples["comptoir_emails_in_total{}"] == 2
    assert samples["comptoir_emails_quarantined{}"] == 1
    assert samples["comptoir_emails_out_total{status=sent}"] == sent > 0
    assert samples["comptoir_emails_out_total{status=bounced}"] == 1
    assert samples["comptoir_emails_out_total{status=failed}"] == 0
    assert samples["comptoir_email_queue_depth{}"] == 2
    assert 7200 <= samples["comptoir_email_queue_oldest_age_seconds{}"] < 7300
    assert samples["comptoir_sla_breaches_total{}"] == 1
    assert samples["comptoir_webhook_failures_total{}"] == 2
    assert samples["comptoir_email_ingest_seconds_bucket{le=0.25}"] == 0
    assert samples["comptoir_email_ingest_seconds_bucket{le=0.5}"] == 1
    assert samples["comptoir_email_ingest_seconds_bucket{le=10.0}"] == 1
    assert samples["comptoir_email_ingest_seconds_bucket{le=30.0}"] == 2
    assert samples["comptoir_email_ingest_seconds_bucket{le=+Inf}"] == 2
    assert samples["comptoir_email_ingest_seconds_count{}"] == 2
    assert samples["comptoir_email_ingest_seconds_sum{}"] == pytest.approx(20.3)


def test_an_empty_installation_reports_zeros(client):
    samples = scrape(client)
    assert samples["comptoir_tickets_created_total{}"] == 0
    assert samples["comptoir_email_queue_oldest_age_seconds{}"] == 0
    assert samples["comptoir_email_ingest_seconds_sum{}"] == 0


def test_a_scrape_costs_five_queries_however_many_rows(client, make_ticket, django_assert_num_queries):
    # Tickets created; outgoing e-mails by status with the queue; incoming e-mails with the
    # histogram; SLA breaches; failed webhook attempts.
    with django_assert_num_queries(5):
        scrape(client)
    populate(make_ticket)
    with django_assert_num_queries(5):
        scrape(client)
