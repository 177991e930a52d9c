"""Outbound e-mail: queue in the caller's transaction, deliver from a Celery worker.

Queuing writes an OutboundEmail row and enqueues its delivery only once the
transaction commits, so a rolled-back ticket sends nothing and no e-mail is ever
sent inside a web request. A beat job re-enqueues rows a lost task left behind.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from comptoir.mail.models import OutboundEmail, OutboundKind, OutboundStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A worker that claimed an e-mail and died leaves it "sending"; after this long
# another worker may take it again.
CLAIM_TIMEOUT = timedelta(minutes=10)


def email_queue(*, kind: str, to: str, language: str, ticket: Any = None, message: Any = None) -> OutboundEmail:
    email = OutboundEmail.objects.create(
        kind=kind, to_address=to, language=language, ticket=ticket, ticket_message=message
    )
    transaction.on_commit(lambda: _enqueue(email.pk))
    return email


def _enqueue(email_id: int) -> None:
    from comptoir.mail.tasks import deliver_email

    try:
        deliver_email.delay(email_id)
    except Exception:
        # The row is safe in the database; requeue_stalled_email will retry.
        logger.exception("Could not enqueue e-mail %s; the periodic job will pick it up", email_id)


def _claim(email_id: int) -> OutboundEmail | None:
    """Take the e-mail for this worker, or None when another worker has it or it is done."""
    now = timezone.now()
    claimable = Q(status=OutboundStatus.QUEUED) | Q(status=OutboundStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT)
    claimed = OutboundEmail.objects.filter(claimable, pk=email_id).update(
        status=OutboundStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    return OutboundEmail.objects.select_related(
        "ticket", "ticket__requester", "ticket_message", "ticket_message__author"
    ).get(pk=email_id)


def email_deliver(email_id: int) -> bool:
    """Send one queued e-mail. Returns False when there was nothing to send.

    Raises the transport's error after putting the row back in the queue, so the
    caller (a Celery task) can retry with back-off.
    """
    email = _claim(email_id)
    if email is None:
        return False
    try:
        with transaction.atomic():
            message = build_message(email)
            if message is None:
                email.status = OutboundStatus.SENT
                email.last_error = "nothing to send"
                email.save(update_fields=["status", "last_error"])
                return False
            message.send()
            email.status = OutboundStatus.SENT
            email.sent_at = timezone.now()
            email.message_id = message.extra_headers["Message-ID"].strip("<>")
            email.last_error = ""
            email.save(update_fields=["status", "sent_at", "message_id", "last_error"])
    except Exception as error:
        final = email.attempts >= MAX_ATTEMPTS
        email.status = OutboundStatus.FAILED if final else OutboundStatus.QUEUED
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        email.save(update_fields=["status", "last_error"])
        raise
    return True


def stalled_email_ids(older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    now = timezone.now()
    stalled = Q(status=OutboundStatus.QUEUED, created_at__lt=now - older_than) | Q(
        status=OutboundStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    )
    return list(OutboundEmail.objects.filter(stalled).values_list("pk", flat=True)[:500])


def _domain() -> str:
    return str(settings.COMPTOIR_SUPPORT_EMAIL).rpartition("@")[2]


def render_email(template: str, context: dict[str, Any], *, to: str, language: str) -> EmailMultiAlternatives:
    """Render emails/<template>-subject.txt, -body.txt and -body.html in the given language."""
    with translation.override(language):
        full_context = {"site_name": settings.COMPTOIR_SITE_NAME, "language": language, **context}
        subject = " ".join(render_to_string(f"emails/{template}-subject.txt", full_context).split())
        text = render_to_string(f"emails/{template}-body.txt", full_context)
        html = render_to_string(f"emails/{template}-body.html", full_context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=f"{settings.COMPTOIR_SITE_NAME} <{settings.COMPTOIR_SUPPORT_EMAIL}>",
        to=[to],
        reply_to=[settings.COMPTOIR_SUPPORT_EMAIL],
        headers={
            "Message-ID": make_msgid(domain=_domain()),
            # We write these e-mails automatically: other systems must not
            # answer them automatically (RFC 3834, and Exchange's own header).
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


Builder = Callable[[OutboundEmail], EmailMultiAlternatives | None]
_BUILDERS: dict[str, Builder] = {}


def builder(kind: OutboundKind) -> Callable[[Builder], Builder]:
    def register(function: Builder) -> Builder:
        _BUILDERS[kind] = function
        return function

    return register


def build_message(email: OutboundEmail) -> EmailMultiAlternatives | None:
    # Builders live beside the domain they describe and register themselves
    # when their app starts (TicketsConfig.ready).
    return _BUILDERS[email.kind](email)
