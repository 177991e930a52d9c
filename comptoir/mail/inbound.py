"""The one way mail enters Comptoir: ingest(raw_bytes, source=...).

1. store the raw bytes (nothing after this step can lose the message);
2. parse them (pure, comptoir.mail.parsing);
3. thread: a query for the ticket the message answers;
4. act: a ticket service call, or quarantine with the reason.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail
from comptoir.mail.parsing import ParsedEmail, parse_email
from comptoir.tickets.files import NewAttachment, accept_file
from comptoir.tickets.models import Channel, Ticket
from comptoir.tickets.services import ticket_create, ticket_reply_by_requester

logger = logging.getLogger(__name__)

_HEADER_END = re.compile(rb"\r?\n\r?\n")
# Control bytes are not allowed in a Message-ID (and PostgreSQL text refuses NUL):
# such an id is ignored and the message deduplicated by its hash instead.
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*<?([^\s<>\x00-\x1f\x7f]{1,250})>?(?=[\s>]|$)", re.I | re.M)


class TemporaryFailure(Exception):
    """Ours, not the sender's: the mail server should try again later."""


def quick_message_id(raw: bytes) -> str | None:
    """The Message-ID from the header block, read without a full parse, to deduplicate before storing."""
    end = _HEADER_END.search(raw, 0, 1_000_000)
    headers = raw[: end.start()] if end else raw[:1_000_000]
    match = _MESSAGE_ID.search(headers)
    return match.group(1).decode("ascii", errors="replace") if match else None


def _store(raw: bytes, source: str) -> tuple[InboundEmail, bool]:
    """Save the raw message once; returns (row, created)."""
    digest = hashlib.sha256(raw).hexdigest()
    message_id = quick_message_id(raw)
    dedup_key = f"mid:{message_id}"[:300] if message_id else f"sha256:{digest}"
    try:
        with transaction.atomic():
            row = InboundEmail.objects.create(
                dedup_key=dedup_key,
                sha256=digest,
                raw=raw,
                size=len(raw),
                source=source,
                message_id=message_id or "",
            )
    except IntegrityError:
        return InboundEmail.objects.get(dedup_key=dedup_key), False
    return row, True


def find_ticket(parsed: ParsedEmail) -> Ticket | None:
    """The ticket this message answers, by the Message-IDs it refers to (ours first)."""
    referenced = [*parsed.in_reply_to, *reversed(parsed.references)][:50]
    if not referenced:
        return None
    ours = (
        OutboundEmail.objects.filter(message_id__in=referenced, ticket__isnull=False)
        .select_related("ticket")
        .order_by("-created_at")
        .first()
    )
    if ours is not None:
        return ours.ticket
    theirs = (
        InboundEmail.objects.filter(message_id__in=referenced, ticket__isnull=False)
        .select_related("ticket")
        .order_by("-received_at")
        .first()
    )
    return theirs.ticket if theirs is not None else None


def _attachments(parsed: ParsedEmail) -> tuple[list[NewAttachment], list[str]]:
    """Files kept under the web form's rules, and a note for each one refused."""
    kept: list[NewAttachment] = []
    notes: list[str] = []
    for part in parsed.attachments:
        try:
            kept.append(accept_file(io.BytesIO(part.content), part.filename, len(part.content)))
        except ValidationError as error:
            notes.append(gettext("[Attachment not kept: %(reason)s]") % {"reason": "; ".join(error.messages)})
    return kept, notes


def _quarantine(row: InboundEmail, reason: str) -> InboundEmail:
    row.status = InboundStatus.QUARANTINED
    row.quarantine_reason = reason
    row.processed_at = timezone.now()
    row.save(update_fields=["status", "quarantine_reason", "processed_at"])
    return row


@transaction.atomic
def _act(row: InboundEmail, parsed: ParsedEmail) -> InboundEmail:
    # The row lock makes two workers that received the same message act once:
    # the second finds it processed when the lock is released.
    row = InboundEmail.objects.select_for_update().get(pk=row.pk)
    if row.status != InboundStatus.RECEIVED:
        return row
    sender = parsed.from_address
    if not sender:
        return _quarantine(row, "no usable sender address")
    ticket = find_ticket(parsed)
    language = ticket.language if ticket is not None else ("fr" if _looks_french(parsed) else "en")
    with translation.override(language):
        files, notes = _attachments(parsed)
        body = "\n\n".join([parsed.text_body.strip() or gettext("(no text)"), *notes])
        subject = parsed.subject or gettext("(no subject)")
    if ticket is not None:
        if sender != ticket.requester.email:
            # A reference can be copied from a forwarded mail: only the
            # requester may write into the ticket this way.
            return _quarantine(row, f"sender {sender} is not a participant of ticket #{ticket.reference}")
        message = ticket_reply_by_requester(
            ticket=ticket, body=body, channel=Channel.EMAIL, files=files, inbound_email=row
        )
        row.ticket = message.ticket
    else:
        row.ticket = ticket_create(
            email=sender,
            name=parsed.from_name,
            subject=subject,
            description=body,
            language=language,
            channel=Channel.EMAIL,
            files=files,
            inbound_email=row,
            send_confirmation=not parsed.auto_submitted,
        )
    row.status = InboundStatus.PROCESSED
    row.processed_at = timezone.now()
    row.from_address = sender[:320]
    row.subject = parsed.subject[:998]
    row.save(update_fields=["status", "processed_at", "ticket", "from_address", "subject"])
    return row


_FRENCH_HINTS = re.compile(r"\b(bonjour|merci|je|vous|nous|est|pas|une|avec|pour)\b", re.I)


def _looks_french(parsed: ParsedEmail) -> bool:
    sample = f"{parsed.subject}\n{parsed.text_body[:2000]}"
    return len(_FRENCH_HINTS.findall(sample)) >= 3


def ingest(raw: bytes, *, source: str) -> InboundEmail:
    """Store, parse, thread and act on one message. Raises TemporaryFailure when our side failed."""
    try:
        row, created = _store(raw, source)
    except DatabaseError as error:
        raise TemporaryFailure(str(error)) from error
    if not created and row.status != InboundStatus.RECEIVED:
        # Already handled. A row still "received" is one our side failed on
        # (the server was told to retry): process it now.
        return row
    parsed = parse_email(raw)
    try:
        return _act(row, parsed)
    except DatabaseError as error:
        # The raw message is stored; leave it "received" so it can be retried.
        raise TemporaryFailure(str(error)) from error
    except Exception as error:
        logger.exception("Inbound e-mail %s could not be processed", row.pk)
        return _quarantine(row, f"processing failed: {type(error).__name__}: {error}")
