"""Outbound e-mail: queue in the caller's transaction, deliver from a Celery worker.

Queuing writes an OutboundEmail row and enqueues its delivery only once the
transaction commits, so a rolled-back ticket sends nothing and no e-mail is ever
sent inside a web request. A beat job re-enqueues rows a lost task left behind.

This is transport: it knows a ticket and a message only by their ids, and an
e-mail by its kind. What each kind says, and whether it is an automatic
answer, is registered by the domain (comptoir.tickets.emails, accounts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from comptoir.branding.emails import email_brand_context, sender, text_signed
from comptoir.branding.selectors import brand_get
from comptoir.core.backoff import retry_delay
from comptoir.core.typography import one_line
from comptoir.mail.addressing import reply_address, support_domain, ticket_message_id
from comptoir.mail.dkim import DkimEmail
from comptoir.mail.models import EmailSuppression, InboundEmail, OutboundEmail, OutboundKind, OutboundStatus

logger = logging.getLogger(__name__)

# With the back-off of comptoir.mail.tasks (30 s doubling, capped at an hour),
# 16 attempts keep trying for about ten hours: a mail server down overnight
# loses nothing.
MAX_ATTEMPTS = 16


def claim_timeout() -> timedelta:
    """A worker that claimed an e-mail and died leaves it "sending"; after this long another may take it."""
    return timedelta(seconds=settings.COMPTOIR_EMAIL_CLAIM_SECONDS)


# E-mails Comptoir writes on its own in answer to something that came in: the
# ones a loop with another robot would multiply. Agents' replies are not capped.
AUTOMATIC_KINDS = frozenset(
    {
        OutboundKind.TICKET_CREATED,
        OutboundKind.TICKET_LINK,
        OutboundKind.REQUESTER_REPLIED,
        OutboundKind.CCS_ADDED,
        # A business rule's e-mail to the requester or an address (a rule may run on each message that comes in).
        OutboundKind.RULE_EMAIL,
    }
)
# Of those, the ones that go outside: a robot at that address could answer them.
# Notices to agents are capped per ticket only, so a busy agent hears of every ticket; a rule's e-mails
# and notices to agents are not capped, as the other notices to agents: an agent's mailbox answering
# one cannot loop, since mail from an agent's address is held (QuarantineKind.AGENT).
CAPPED_PER_RECIPIENT = frozenset(
    {OutboundKind.TICKET_CREATED, OutboundKind.TICKET_LINK, OutboundKind.CCS_ADDED, OutboundKind.RULE_EMAIL}
)


def email_queue(
    *,
    kind: str,
    to: str,
    language: str,
    ticket_id: int | None = None,
    message_id: int | None = None,
    held_back: str = "",
    content: WrittenEmail | None = None,
) -> OutboundEmail:
    """Write the e-mail to send; it leaves once the caller's transaction commits.

    An e-mail to an address that bounced for good, or over a loop cap, or that
    the caller holds back (``held_back`` says why: the person turned such
    e-mails off), is kept as "not sent" with the reason, so the ticket shows
    why nothing arrived. ``content`` is an e-mail already written, for kinds
    whose text cannot be written again at delivery (account e-mails); it is
    kept only until the e-mail leaves.
    """
    reason = _why_not_send(kind, to, ticket_id) or held_back
    email = OutboundEmail.objects.create(
        kind=kind,
        to_address=to,
        language=language,
        ticket_id=ticket_id,
        ticket_message_id=message_id,
        status=OutboundStatus.SUPPRESSED if reason else OutboundStatus.QUEUED,
        last_error=reason,
        **(content.fields() if content is not None and not reason else {}),
    )
    if not reason:
        transaction.on_commit(lambda: _enqueue(email.pk))
    return email


@dataclass(frozen=True)
class WrittenEmail:
    subject: str
    text: str
    html: str = ""

    def fields(self) -> dict[str, str]:
        return {"subject": self.subject[:255], "body_text": self.text, "body_html": self.html}


WRITTEN_FIELDS = ["subject", "body_text", "body_html"]


def _forget_text(email: OutboundEmail) -> None:
    email.subject = email.body_text = email.body_html = ""


def _why_not_send(kind: str, to: str, ticket_id: int | None) -> str:
    now = timezone.now()
    suppression = EmailSuppression.objects.filter(email=to.lower(), until__gt=now).first()
    if suppression is not None:
        until = f"{suppression.until:%Y-%m-%d %H:%M} UTC"
        return f"{to} bounced ({suppression.reason[:200]}); nothing is sent to it until {until}"
    if kind not in AUTOMATIC_KINDS:
        return ""
    recent = OutboundEmail.objects.filter(kind__in=AUTOMATIC_KINDS, created_at__gte=now - timedelta(hours=1)).exclude(
        status=OutboundStatus.SUPPRESSED
    )
    cap = settings.COMPTOIR_AUTO_EMAILS_PER_RECIPIENT_PER_HOUR
    if kind in CAPPED_PER_RECIPIENT and recent.filter(to_address=to, kind__in=CAPPED_PER_RECIPIENT).count() >= cap:
        return f"loop guard: {cap} automatic e-mails to {to} in the last hour"
    cap = settings.COMPTOIR_AUTO_EMAILS_PER_TICKET_PER_HOUR
    if ticket_id is not None and recent.filter(ticket_id=ticket_id).count() >= cap:
        return f"loop guard: {cap} automatic e-mails about this ticket in the last hour"
    return ""


def _enqueue(email_id: int) -> None:
    from comptoir.mail.tasks import deliver_email

    try:
        deliver_email.delay(email_id)
    except Exception:
        # The row is safe in the database; requeue_stalled_email will retry.
        logger.exception("Could not enqueue e-mail %s; the periodic job will pick it up", email_id)


def _claim(email_id: int) -> OutboundEmail | None:
    """Take the e-mail for this worker, or None when another worker has it, it is done, or not yet due.

    "Not yet due" matters: a task arriving early (the periodic requeue, a
    duplicate) must not spend one of the e-mail's attempts during an outage.
    """
    now = timezone.now()
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    claimable = Q(due, status=OutboundStatus.QUEUED) | Q(
        status=OutboundStatus.SENDING, claimed_at__lt=now - claim_timeout()
    )
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
                _forget_text(email)
                email.save(update_fields=["status", "last_error", *WRITTEN_FIELDS])
                return False
            if email.ticket is not None:
                thread_headers(message, email)
            automatic = _BUILDERS[email.kind].auto_submitted(email)
            if automatic:
                message.extra_headers["Auto-Submitted"] = automatic
            message.send()
            email.status = OutboundStatus.SENT
            email.sent_at = timezone.now()
            email.message_id = message.extra_headers["Message-ID"].strip("<>")
            email.last_error = ""
            _forget_text(email)
            email.save(update_fields=["status", "sent_at", "message_id", "last_error", *WRITTEN_FIELDS])
    except Exception as error:
        final = email.attempts >= MAX_ATTEMPTS
        email.status = OutboundStatus.FAILED if final else OutboundStatus.QUEUED
        email.next_attempt_at = None if final else timezone.now() + retry_delay(email.attempts)
        email.last_error = f"{type(error).__name__}: {error}"[:2000]
        if final:
            _forget_text(email)
        email.save(update_fields=["status", "next_attempt_at", "last_error", *WRITTEN_FIELDS])
        raise
    return True


def thread_headers(message: EmailMultiAlternatives, email: OutboundEmail) -> None:
    """Headers that make the reply to this e-mail find its ticket, and only its ticket."""
    ticket = email.ticket
    assert ticket is not None
    # The people copied get references of their own: answering one with the
    # requester's address in From does not make a CC speak as her.
    copied = email.to_address.lower() != ticket.requester.email.lower()
    message.extra_headers["Message-ID"] = f"<{ticket_message_id(ticket.reference, copied=copied)}>"
    message.reply_to = [reply_address(ticket.reference, copied=copied)]
    root, parent = _thread_ids(email)
    if parent or root:
        message.extra_headers["In-Reply-To"] = f"<{parent or root}>"
        message.extra_headers["References"] = " ".join(f"<{i}>" for i in dict.fromkeys([root, parent]) if i)


def _thread_ids(email: OutboundEmail) -> tuple[str, str]:
    """The thread's first message and the latest e-mail that came in, as Message-IDs ("" when none).

    Of our own e-mails only those sent to this same recipient are named: a CC
    never learns the Message-ID of the requester's e-mails, so cannot forge a
    bounce report about them (comptoir.gateway.bounces).
    """
    inbound = InboundEmail.objects.filter(ticket=email.ticket_id).exclude(message_id="").order_by("received_at", "pk")
    first_in = inbound.values_list("message_id", flat=True).first() or ""
    latest_in = inbound.reverse().values_list("message_id", flat=True).first() or ""
    first_out = (
        OutboundEmail.objects.filter(ticket=email.ticket_id, message_id__isnull=False, to_address=email.to_address)
        .exclude(pk=email.pk)
        .order_by("created_at", "pk")
        .values_list("message_id", flat=True)
        .first()
    ) or ""
    return (first_in or first_out), latest_in


def stalled_email_ids(older_than: timedelta = timedelta(minutes=2)) -> list[int]:
    """E-mails whose task was lost: queued and due for a while, or claimed by a worker that died."""
    now = timezone.now()
    never_tried = Q(next_attempt_at__isnull=True, created_at__lt=now - older_than)
    retry_overdue = Q(next_attempt_at__lt=now - older_than)
    stalled = Q(never_tried | retry_overdue, status=OutboundStatus.QUEUED) | Q(
        status=OutboundStatus.SENDING, claimed_at__lt=now - claim_timeout()
    )
    return list(OutboundEmail.objects.filter(stalled).values_list("pk", flat=True)[:500])


def render_email(template: str, context: dict[str, Any], *, to: str, language: str) -> EmailMultiAlternatives:
    """Render emails/<template>-subject.txt, -body.txt and -body.html in the given language."""
    brand = brand_get()  # one read for the layout and the From
    with translation.override(language):
        full_context = {**email_brand_context(language, brand), "language": language, **context}
        subject = one_line(render_to_string(f"emails/{template}-subject.txt", full_context))
        text = text_signed(
            render_to_string(f"emails/{template}-body.txt", full_context), str(full_context["brand_signature"])
        )
        html = render_to_string(f"emails/{template}-body.html", full_context)
    message = DkimEmail(
        subject=subject,
        body=text,
        from_email=sender(language, brand),
        to=[to],
        reply_to=[settings.COMPTOIR_SUPPORT_EMAIL],
        headers={
            "Message-ID": make_msgid(domain=support_domain()),
            # Other systems must not answer our e-mails automatically (Exchange's
            # header; RFC 3834's Auto-Submitted is set per kind by email_deliver).
            "X-Auto-Response-Suppress": "All",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


Builder = Callable[[OutboundEmail], EmailMultiAlternatives | None]
# RFC 3834's Auto-Submitted value of an e-mail: "" for what a person wrote,
# else what kind of robot sent it ("auto-generated", "auto-replied").
AutoSubmitted = Callable[[OutboundEmail], str]


def _generated(email: OutboundEmail) -> str:
    return "auto-generated"


@dataclass(frozen=True)
class _Registered:
    build: Builder
    auto_submitted: AutoSubmitted


_BUILDERS: dict[str, _Registered] = {}


def builder(kind: OutboundKind, *, auto_submitted: AutoSubmitted = _generated) -> Callable[[Builder], Builder]:
    """Register what an e-mail of ``kind`` says; ``auto_submitted`` tells whether a robot wrote it (the default)."""

    def register(function: Builder) -> Builder:
        _BUILDERS[kind] = _Registered(build=function, auto_submitted=auto_submitted)
        return function

    return register


def build_message(email: OutboundEmail) -> EmailMultiAlternatives | None:
    # Builders live beside the domain they describe and register themselves
    # when their app starts (TicketsConfig.ready, AccountsConfig.ready).
    return _BUILDERS[email.kind].build(email)
