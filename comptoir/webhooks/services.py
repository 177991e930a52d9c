"""The write path of webhooks: subscribing, owing events, sending them, giving up, telling the owner.

Delivery is at least once and in order per ticket: a webhook's delivery about
a ticket is sent only when no earlier one about that ticket is still waiting.
A worker claims the delivery it sends by moving its next attempt past a lease
(an UPDATE ... WHERE and its row count), so workers side by side never send one
twice at once, and one killed mid-send leaves it to be sent again when the lease
ends. The request leaves outside any transaction; its attempt is written after.

A failed delivery is tried again after 30 s, 1 min, 2 min... capped at three
hours, for a day after its first failure; a webhook whose every attempt failed for
a day is disabled (its waiting deliveries given up) and its owner e-mailed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.accounts.mailing import person_email_queue
from comptoir.accounts.models import User
from comptoir.mail.models import OutboundKind
from comptoir.tickets.models import EventKind, TicketEvent
from comptoir.webhooks import transport
from comptoir.webhooks.addresses import AddressRefused, target_for, url_parts
from comptoir.webhooks.events import occurrences
from comptoir.webhooks.models import (
    RULE_CALLED,
    DeliveryState,
    DisabledReason,
    EventType,
    Webhook,
    WebhookAttempt,
    WebhookDelivery,
)
from comptoir.webhooks.payloads import body_write, event_data, message_data, ticket_data, ticket_rows

logger = logging.getLogger(__name__)

RETRY_FOR = timedelta(hours=24)
# A webhook failing for this long is disabled.
DISABLE_AFTER = timedelta(hours=24)
MAX_DELAY = timedelta(hours=3)
# Longer than transport.TOTAL_TIMEOUT: a delivery being sent is not claimed by another worker meanwhile.
LEASE = timedelta(minutes=2)
# After a rotation, the old secret still signs for this long.
ROTATION_OVERLAP = timedelta(hours=24)
# Finished deliveries (and their attempts) are kept this long for the admins.
KEEP_FOR = timedelta(days=30)
SECRET_PREFIX = "whsec_"  # noqa: S105  # the format's prefix, no secret


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling, capped at three hours: about 16 attempts over a day."""
    return min(timedelta(seconds=30 * 2 ** max(attempts - 1, 0)), MAX_DELAY)


def secret_new() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


# --- Subscribing ---------------------------------------------------------------------------------


def url_check(url: str) -> None:
    """ValidationError unless the URL is one a webhook may post to now (its host resolved and checked)."""
    try:
        url_parts(url)
        target_for(url)
    except AddressRefused as refused:
        raise ValidationError(str(refused), code="address") from refused


def _types_check(event_types: Sequence[str]) -> list[str]:
    unknown = [name for name in event_types if name not in EventType.values]
    if unknown:
        raise ValidationError(_("Unknown event type: %(names)s.") % {"names": ", ".join(unknown)})
    # In the order of the list, once each.
    return [name for name in EventType.values if name in event_types]


@transaction.atomic
def webhook_create(*, owner: User, url: str, description: str, event_types: Sequence[str]) -> Webhook:
    """A new active webhook; its secret is read once from the returned object, to show once."""
    url_check(url)
    return Webhook.objects.create(
        owner=owner, url=url, description=description, event_types=_types_check(event_types), secret=secret_new()
    )


@transaction.atomic
def webhook_update(
    webhook: Webhook,
    *,
    url: str,
    description: str,
    event_types: Sequence[str],
    active: bool,
    now: datetime | None = None,
) -> Webhook:
    if url != webhook.url:
        url_check(url)
    webhook.url, webhook.description, webhook.event_types = url, description, _types_check(event_types)
    webhook.save(update_fields=["url", "description", "event_types", "updated_at"])
    if active and not webhook.active:
        webhook_enable(webhook)
    elif webhook.active and not active:
        webhook_disable(webhook, reason=DisabledReason.BY_ADMIN, now=now)
    return webhook


@transaction.atomic
def webhook_secret_rotate(webhook: Webhook, *, now: datetime | None = None) -> str:
    """A new secret, returned to show once; the old one keeps signing for a day beside it."""
    now = now or timezone.now()
    webhook.previous_secret, webhook.previous_secret_until = webhook.secret, now + ROTATION_OVERLAP
    webhook.secret = secret_new()
    webhook.save(update_fields=["secret", "previous_secret", "previous_secret_until", "updated_at"])
    return webhook.secret


@transaction.atomic
def webhook_enable(webhook: Webhook) -> Webhook:
    """On again: it is owed the events from now on (what it gave up is sent again by "send again")."""
    webhook.active, webhook.disabled_at, webhook.disabled_reason, webhook.failing_since = True, None, "", None
    webhook.save(update_fields=["active", "disabled_at", "disabled_reason", "failing_since", "updated_at"])
    return webhook


@transaction.atomic
def webhook_disable(webhook: Webhook, *, reason: str, now: datetime | None = None) -> Webhook:
    """Off: owed nothing new, its waiting deliveries given up; the owner is e-mailed when it failed for a day."""
    now = now or timezone.now()
    webhook.active, webhook.disabled_at, webhook.disabled_reason = False, now, reason
    webhook.save(update_fields=["active", "disabled_at", "disabled_reason", "updated_at"])
    webhook.deliveries.filter(state=DeliveryState.PENDING).update(
        state=DeliveryState.FAILED,
        finished_at=now,
        next_attempt_at=None,
        last_outcome=_("Given up: the webhook was disabled."),
    )
    owner = webhook.owner
    if reason == DisabledReason.FAILING and owner is not None and owner.is_active:
        from comptoir.webhooks.emails import webhook_disabled_write

        person_email_queue(
            kind=OutboundKind.WEBHOOK_DISABLED,
            to=owner.email,
            language=owner.language or settings.LANGUAGE_CODE,
            write=lambda language: webhook_disabled_write(webhook, language=language),
        )
    return webhook


@transaction.atomic
def webhook_delete(webhook: Webhook) -> None:
    webhook.delete()


# --- Owing events --------------------------------------------------------------------------------


def _owe(
    webhooks: Sequence[Webhook], *, ticket_id: int, event_type: str, event_id: int | None, body: str, now: datetime
) -> list[WebhookDelivery]:
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            webhook=webhook,
            ticket_id=ticket_id,
            event_type=event_type,
            event_id=event_id,
            message_id=f"msg_{uuid.uuid4().hex}",
            body=body,
            next_attempt_at=now,
            created_at=now,
        )
        for webhook in webhooks
    )
    for webhook_id in dict.fromkeys(webhook.pk for webhook in webhooks):
        transaction.on_commit(partial(_hand_off, webhook_id))
    return deliveries


def deliveries_owe_change(events: list[TicketEvent], *, now: datetime | None = None) -> list[WebhookDelivery]:
    """The deliveries one change of a ticket owes the active webhooks subscribed to its types.

    Called by the subscriber in the transaction that marks the change handed over:
    a retry of the change owes nothing twice.
    """
    found = occurrences(events)
    if not found:
        return []
    webhooks = list(Webhook.objects.filter(active=True))
    wanted = {occurrence.event_type for occurrence in found}
    if not any(wanted & set(webhook.event_types) for webhook in webhooks):
        return []
    ticket = ticket_rows().get(pk=events[0].ticket_id)
    if ticket.spam and not any(event.kind == EventKind.SPAM for event in events):
        return []  # a ticket in the spam folder is nobody's business outside
    now = now or timezone.now()
    ticket_shown = ticket_data(ticket)
    owed: list[WebhookDelivery] = []
    for occurrence in found:
        subscribed = [webhook for webhook in webhooks if occurrence.event_type in webhook.event_types]
        if not subscribed:
            continue
        data: dict[str, Any] = {"event": event_data(occurrence.event), "ticket": ticket_shown}
        if occurrence.event.message is not None:
            data["message"] = message_data(occurrence.event.message)
        if occurrence.event_type == EventType.TICKET_UPDATED:
            data["changes"] = [event_data(event) for event in occurrence.events]
        body = body_write(occurrence.event_type, timestamp=now, data=data)
        owed += _owe(
            subscribed,
            ticket_id=ticket.pk,
            event_type=occurrence.event_type,
            event_id=occurrence.event.pk,
            body=body,
            now=now,
        )
    return owed


@transaction.atomic
def webhook_call_for_rule(
    *, webhook_id: int, ticket_id: int, event_id: int | None, rule_name: str = "", now: datetime | None = None
) -> WebhookDelivery | None:
    """A business rule's "call a webhook" action: a rule.called delivery about the ticket, sent after commit.

    Whatever types the webhook subscribed to; nothing when it is disabled or gone.
    ``event_id``: the ticket event the rule ran on (carried as the payload's event).
    """
    webhook = Webhook.objects.filter(pk=webhook_id, active=True).first()
    ticket = ticket_rows().filter(pk=ticket_id).first()
    if webhook is None or ticket is None:
        return None
    now = now or timezone.now()
    event = None
    if event_id is not None:
        event = TicketEvent.objects.select_related("actor").filter(pk=event_id, ticket_id=ticket_id).first()
    data = {
        "event": None if event is None else event_data(event),
        "ticket": ticket_data(ticket),
        "rule": {"name": rule_name},
    }
    body = body_write(RULE_CALLED, timestamp=now, data=data)
    [delivery] = _owe([webhook], ticket_id=ticket_id, event_type=RULE_CALLED, event_id=event_id, body=body, now=now)
    return delivery


def _hand_off(webhook_id: int) -> None:
    from comptoir.webhooks.tasks import webhook_deliver

    try:
        webhook_deliver.delay(webhook_id)
    except Exception:
        # The rows are safe in the database; the beat job sends them.
        logger.exception("Could not enqueue the deliveries of webhook %s; the periodic job will", webhook_id)


# --- Sending -------------------------------------------------------------------------------------


def _earlier_waiting() -> Exists:
    return Exists(
        WebhookDelivery.objects.filter(
            webhook=OuterRef("webhook"),
            ticket_id=OuterRef("ticket_id"),
            state=DeliveryState.PENDING,
            id__lt=OuterRef("id"),
        )
    )


def deliveries_due(*, now: datetime, webhook_id: int | None = None) -> QuerySet[WebhookDelivery]:
    """Waiting deliveries of active webhooks whose time has come, each the oldest waiting on its ticket."""
    rows = WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now, webhook__active=True)
    if webhook_id is not None:
        rows = rows.filter(webhook_id=webhook_id)
    return rows.exclude(_earlier_waiting()).order_by("next_attempt_at", "id")


def signature_headers(webhook: Webhook, *, message_id: str, body: str, sent_at: datetime) -> dict[str, str]:
    """Standard Webhooks headers: the id, the time, and one signature per secret in use."""
    keys = [webhook.secret]
    if webhook.previous_secret and webhook.previous_secret_until and webhook.previous_secret_until > sent_at:
        keys.append(webhook.previous_secret)
    timestamp = str(int(sent_at.timestamp()))
    signed = f"{message_id}.{timestamp}.".encode() + body.encode()
    signatures = [
        "v1," + base64.b64encode(hmac.new(_key(key), signed, hashlib.sha256).digest()).decode() for key in keys
    ]
    return {"webhook-id": message_id, "webhook-timestamp": timestamp, "webhook-signature": " ".join(signatures)}


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def delivery_attempt(delivery_id: int, *, now: datetime | None = None) -> WebhookAttempt | None:
    """Send the delivery once if it is due and this worker claims it; None when it was not for us to send."""
    now = now or timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, state=DeliveryState.PENDING, next_attempt_at__lte=now, webhook__active=True
        )
        .exclude(_earlier_waiting())
        .update(next_attempt_at=now + LEASE)
    )
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    webhook = delivery.webhook
    # Signed with the wall clock, whatever ``now`` says: the receiver checks it against its own.
    headers = signature_headers(webhook, message_id=delivery.message_id, body=delivery.body, sent_at=timezone.now())
    answer = transport.post(webhook.url, delivery.body.encode(), headers)
    with transaction.atomic():
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            attempted_at=now,
            ok=answer.ok,
            status_code=answer.status_code,
            error=answer.error[:500],
            duration_ms=answer.duration_ms,
            response_excerpt=answer.excerpt,
        )
        delivery.attempts += 1
        if answer.ok:
            delivery.state, delivery.finished_at, delivery.next_attempt_at = DeliveryState.DELIVERED, now, None
            delivery.last_outcome = str(answer.status_code)
            Webhook.objects.filter(pk=webhook.pk, failing_since__isnull=False).update(failing_since=None)
        else:
            delivery.last_outcome = (answer.error or str(answer.status_code))[:300]
            # Counted from the first failure: deliveries that waited for a worker are not given up unheard.
            delivery.retry_until = delivery.retry_until or now + RETRY_FOR
            if now >= delivery.retry_until:
                delivery.state, delivery.finished_at, delivery.next_attempt_at = DeliveryState.FAILED, now, None
            else:
                delivery.next_attempt_at = min(now + retry_delay(delivery.attempts), delivery.retry_until)
        delivery.save(
            update_fields=["attempts", "state", "finished_at", "next_attempt_at", "retry_until", "last_outcome"]
        )
        if not answer.ok:
            _failure_count(webhook.pk, now=now)
    return attempt


def _failure_count(webhook_id: int, *, now: datetime) -> None:
    Webhook.objects.filter(pk=webhook_id, failing_since__isnull=True).update(failing_since=now)
    webhook = Webhook.objects.select_for_update(of=("self",)).select_related("owner").get(pk=webhook_id)
    if webhook.active and webhook.failing_since is not None and now - webhook.failing_since >= DISABLE_AFTER:
        logger.warning("Webhook %s failed for a day: disabled", webhook_id)
        webhook_disable(webhook, reason=DisabledReason.FAILING, now=now)


def deliveries_send_due(*, now: datetime | None = None, webhook_id: int | None = None, limit: int = 200) -> int:
    """Send what is due, oldest first; a delivered one lets the next about its ticket go in the same run.

    Returns how many attempts were made. Each attempt reads the clock as it starts (its lease and
    back-off count from then, however long the run's earlier attempts took); ``now``, for tests,
    stands for every reading.
    """
    made = 0
    while made < limit:
        due_at = now or timezone.now()
        due = list(deliveries_due(now=due_at, webhook_id=webhook_id).values_list("pk", flat=True)[: limit - made])
        if not due:
            break
        tried = [attempt for pk in due if (attempt := delivery_attempt(pk, now=now)) is not None]
        made += len(tried)
        if not any(attempt.ok for attempt in tried):
            break  # only failures: the next due wait for their back-off
    return made


@transaction.atomic
def delivery_send_again(delivery: WebhookDelivery, *, now: datetime | None = None) -> WebhookDelivery:
    """An admin's "send again": the same body and id, now, and retried for another day if it fails.

    A delivery still pending is on its way (perhaps being sent by a worker right now): left as it is.
    """
    now = now or timezone.now()
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.state == DeliveryState.PENDING:
        return delivery
    delivery.state, delivery.next_attempt_at, delivery.retry_until = DeliveryState.PENDING, now, None
    delivery.finished_at = None
    delivery.save(update_fields=["state", "next_attempt_at", "retry_until", "finished_at"])
    transaction.on_commit(partial(_hand_off, delivery.webhook_id))
    return delivery


@transaction.atomic
def deliveries_send_again_given_up(webhook: Webhook, *, now: datetime | None = None) -> int:
    """Every delivery the webhook gave up (while it failed, or when it was disabled), sent again, oldest first."""
    now = now or timezone.now()
    count = webhook.deliveries.filter(state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, next_attempt_at=now, retry_until=None, finished_at=None
    )
    if count:
        transaction.on_commit(partial(_hand_off, webhook.pk))
    return count


def deliveries_purge(*, now: datetime | None = None) -> int:
    """Finished deliveries older than KEEP_FOR go, with their attempts (they hold the tickets' words)."""
    now = now or timezone.now()
    old = WebhookDelivery.objects.filter(~Q(state=DeliveryState.PENDING), finished_at__lt=now - KEEP_FOR)
    return old.delete()[0]


def due_webhook_ids(*, now: datetime | None = None) -> list[int]:
    """The beat job's question: webhooks with something to send now."""
    now = now or timezone.now()
    rows = WebhookDelivery.objects.filter(state=DeliveryState.PENDING, next_attempt_at__lte=now, webhook__active=True)
    return sorted(set(rows.values_list("webhook_id", flat=True)))
