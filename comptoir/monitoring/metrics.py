"""Comptoir's figures for Prometheus, read from the database at scrape time.

Gunicorn runs several processes and Celery others: a counter kept in one
process's memory would count a fraction of the work and restart at zero with
it. So every figure here is a query over the rows the work leaves behind (the
ticket history, the e-mail tables, the SLA clocks, the webhook deliveries),
the same whichever web node is scraped, and the whole scrape is five queries
(tests/core/test_metrics.py counts them). Row-derived "totals" drop when the
purge removes old rows (sent e-mails' text is kept, rows are not purged today);
Prometheus's rate() treats a drop as a reset.

The ingest-time histogram is likewise built from each inbound message's
received_at and processed_at, in the buckets below.

Requests are the exception: their counts and latency by view, method and status
are counted as they are served, by django-prometheus's middleware, in the
process's memory. With several gunicorn workers, PROMETHEUS_MULTIPROC_DIR names
a folder the workers share (docs/deploy.md): each writes its figures there and
any of them sums them all at scrape time; without it, a scrape reads the one
process that answered it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundStatus
from comptoir.sla.models import TicketSla
from comptoir.tickets.models import EventKind, TicketEvent
from comptoir.webhooks.models import WebhookAttempt

INGEST_BUCKETS_SECONDS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
_QUEUED = (OutboundStatus.QUEUED, OutboundStatus.SENDING)
# Where an outgoing e-mail ends: these only grow (queued and sending are the queue's gauges).
_FINAL = (OutboundStatus.SENT, OutboundStatus.BOUNCED, OutboundStatus.FAILED, OutboundStatus.SUPPRESSED)


def _tickets() -> Iterator[Metric]:
    created = TicketEvent.objects.filter(kind=EventKind.CREATED).count()
    yield CounterMetricFamily("comptoir_tickets_created", "Tickets created (ticket history).", value=created)


def _outbound() -> Iterator[Metric]:
    figures = OutboundEmail.objects.aggregate(
        **{f"status_{status.value}": Count("pk", filter=Q(status=status)) for status in _FINAL},
        queued=Count("pk", filter=Q(status__in=_QUEUED)),
        oldest=Min("created_at", filter=Q(status__in=_QUEUED)),
    )
    by_status = CounterMetricFamily(
        "comptoir_emails_out",
        "Outgoing e-mails by how they ended: sent, bounced, failed, suppressed.",
        labels=["status"],
    )
    for status in _FINAL:
        by_status.add_metric([status.value], figures[f"status_{status.value}"])
    yield by_status
    yield GaugeMetricFamily(
        "comptoir_email_queue_depth", "Outgoing e-mails queued or being sent.", value=figures["queued"]
    )
    oldest = figures["oldest"]
    age = max((timezone.now() - oldest).total_seconds(), 0.0) if oldest else 0.0
    yield GaugeMetricFamily(
        "comptoir_email_queue_oldest_age_seconds", "Age of the oldest queued outgoing e-mail (0: empty).", value=age
    )


def _inbound() -> Iterator[Metric]:
    duration = ExpressionWrapper(F("processed_at") - F("received_at"), output_field=DurationField())
    processed = Q(processed_at__isnull=False)
    figures = InboundEmail.objects.annotate(ingest_time=duration).aggregate(
        total=Count("pk"),
        quarantined=Count("pk", filter=Q(status=InboundStatus.QUARANTINED)),
        processed=Count("pk", filter=processed),
        ingest_sum=Sum("ingest_time", filter=processed),
        **{
            f"le_{index}": Count("pk", filter=processed & Q(ingest_time__lte=timedelta(seconds=bound)))
            for index, bound in enumerate(INGEST_BUCKETS_SECONDS)
        },
    )
    yield CounterMetricFamily("comptoir_emails_in", "Incoming e-mails received.", value=figures["total"])
    yield GaugeMetricFamily(
        "comptoir_emails_quarantined", "Incoming e-mails held in quarantine now.", value=figures["quarantined"]
    )
    buckets = [(str(bound), figures[f"le_{index}"]) for index, bound in enumerate(INGEST_BUCKETS_SECONDS)]
    buckets.append(("+Inf", figures["processed"]))
    ingest_sum = figures["ingest_sum"]
    yield HistogramMetricFamily(
        "comptoir_email_ingest_seconds",
        "Time from receiving an incoming e-mail to acting on it.",
        buckets=buckets,
        sum_value=ingest_sum.total_seconds() if ingest_sum else 0.0,
    )


def _sla() -> Iterator[Metric]:
    breached = TicketSla.objects.filter(breached_at__isnull=False).count()
    yield CounterMetricFamily("comptoir_sla_breaches", "Service-level targets breached.", value=breached)


def _webhooks() -> Iterator[Metric]:
    failed = WebhookAttempt.objects.filter(ok=False).count()
    yield CounterMetricFamily("comptoir_webhook_failures", "Webhook attempts that failed.", value=failed)


class ComptoirCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from _tickets()
        yield from _outbound()
        yield from _inbound()
        yield from _sla()
        yield from _webhooks()


def _requests() -> bytes:
    """django-prometheus's request figures: every worker's when they share a folder, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def scrape() -> bytes:
    """The text exposition of every figure, read now."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ComptoirCollector())
    return generate_latest(registry) + _requests()
