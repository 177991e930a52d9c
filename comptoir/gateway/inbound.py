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
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from comptoir.accounts.models import Role, User
from comptoir.accounts.services import person_get_or_create
from comptoir.gateway.bounces import bounce_record, find_bounce, looks_like_bounce
from comptoir.gateway.matching import SIGNED_MATCHES, match_ticket
from comptoir.mail.addressing import is_own_address
from comptoir.mail.models import InboundEmail, InboundStatus, QuarantineKind
from comptoir.mail.parsing import ParsedEmail, html_to_text, parse_email
from comptoir.mail.quotes import split_html_reply, split_text_reply
from comptoir.mail.timelimit import TimeLimitExceeded, time_limit
from comptoir.tickets.files import NewAttachment, accept_file
from comptoir.tickets.models import Channel, Status, Ticket
from comptoir.tickets.services import (
    ticket_add_ccs,
    ticket_create,
    ticket_reply_by_requester,
)

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


def dedup_key(message_id: str | None, sha256: str) -> str:
    """What makes two deliveries one message: its Message-ID, or its hash when it has none."""
    return f"mid:{message_id}"[:300] if message_id else f"sha256:{sha256}"


def _store(raw: bytes, source: str) -> tuple[InboundEmail, bool]:
    """Save the raw message once; returns (row, created)."""
    digest = hashlib.sha256(raw).hexdigest()
    message_id = quick_message_id(raw)
    key = dedup_key(message_id, digest)
    try:
        with transaction.atomic():
            row = InboundEmail.objects.create(
                dedup_key=key,
                sha256=digest,
                raw=raw,
                size=len(raw),
                source=source,
                message_id=message_id or "",
            )
    except IntegrityError:
        existing = InboundEmail.objects.defer("raw").get(dedup_key=key)
        if existing.sha256 != digest:
            # The same Message-ID is the same message (a relay re-delivering it
            # with other Received lines): not ingested twice, but said.
            logger.warning(
                "Inbound e-mail with Message-ID %s from %s differs from stored message %s; kept the first",
                message_id,
                source,
                existing.pk,
            )
        return existing, False
    return row, True


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


def _quarantine(
    row: InboundEmail, parsed: ParsedEmail | None, kind: QuarantineKind, reason: str, candidate: Ticket | None = None
) -> InboundEmail:
    """Keep the message aside for an agent, with why, and the ticket it seemed to answer."""
    row.status = InboundStatus.QUARANTINED
    row.quarantine_kind = kind
    row.quarantine_reason = reason
    row.candidate_ticket = candidate
    row.processed_at = timezone.now()
    if parsed is not None:
        row.from_address = (parsed.from_address or "")[:320]
        row.subject = parsed.subject[:998]
    row.save(
        update_fields=[
            "status",
            "quarantine_kind",
            "quarantine_reason",
            "candidate_ticket",
            "processed_at",
            "from_address",
            "subject",
        ]
    )
    return row


def _processed(row: InboundEmail, parsed: ParsedEmail, ticket: Ticket, matched_by: str) -> InboundEmail:
    row.status = InboundStatus.PROCESSED
    row.processed_at = timezone.now()
    row.ticket = ticket
    row.matched_by = matched_by
    row.from_address = (parsed.from_address or "")[:320]
    row.subject = parsed.subject[:998]
    row.save(update_fields=["status", "processed_at", "ticket", "matched_by", "from_address", "subject"])
    return row


# More than this in To and Cc is a mailing, not a conversation: nobody is copied.
MAX_CCS_FROM_EMAIL = 10


def _copied(parsed: ParsedEmail) -> list[tuple[str, str]]:
    """Everyone the sender wrote to besides us: they become the ticket's CCs."""
    people = [
        ("", address)
        for address in dict.fromkeys((*parsed.to_addresses, *parsed.cc_addresses))
        if address != parsed.from_address and not is_own_address(address)
    ]
    return people if len(people) <= MAX_CCS_FROM_EMAIL else []


def _author(ticket: Ticket, sender: str) -> User | None:
    """The person who may write into the ticket by e-mail: its requester or one of its CCs."""
    if ticket.requester.email.lower() == sender:
        return ticket.requester
    cc = ticket.ccs.filter(email__iexact=sender).first()
    return person_get_or_create(email=cc.email, name=cc.name) if cc is not None else None


@transaction.atomic
def _act(row: InboundEmail, parsed: ParsedEmail) -> InboundEmail:
    # The row lock makes two workers that received the same message act once:
    # the second finds it processed when the lock is released.
    row = InboundEmail.objects.select_for_update().get(pk=row.pk)
    if row.status != InboundStatus.RECEIVED:
        return row
    sender = parsed.from_address
    if not sender:
        return _quarantine(row, parsed, QuarantineKind.NO_SENDER, "no usable sender address")
    if is_own_address(sender):
        return _quarantine(
            row, parsed, QuarantineKind.OWN_ADDRESS, f"sent from our own address {sender}: a loop or a forgery"
        )
    if looks_like_bounce(parsed):
        return _act_on_bounce(row, parsed)
    match = match_ticket(parsed)
    if match.forged:
        return _quarantine(
            row, parsed, QuarantineKind.FORGED, "a reply address or Message-ID of ours with a forged signature"
        )
    ticket = match.ticket
    if ticket is not None:
        author = _author(ticket, sender)
        if author is not None:
            return _reply(row, parsed, ticket, author, match.matched_by)
        if User.objects.filter(email__iexact=sender, role__in=(Role.AGENT, Role.ADMIN)).exists():
            return _quarantine(
                row,
                parsed,
                QuarantineKind.AGENT,
                f"agent {sender} answered by e-mail; agents answer from the workspace",
                ticket,
            )
        if settings.COMPTOIR_INBOUND_STRANGERS == "quarantine":
            # A reference can be copied from a forwarded mail, a subject tag typed
            # by anyone: only the ticket's participants write into it this way.
            reason = (
                f"sender {sender} is not a participant of ticket #{ticket.reference} (matched by {match.matched_by})"
            )
            return _quarantine(row, parsed, QuarantineKind.STRANGER, reason, ticket)
    return _new_ticket(row, parsed, sender)


def _act_on_bounce(row: InboundEmail, parsed: ParsedEmail) -> InboundEmail:
    bounce = find_bounce(parsed)
    if bounce is None or bounce.ticket is None:
        if bounce is not None:
            bounce_record(bounce)
        return _quarantine(row, parsed, QuarantineKind.UNKNOWN_BOUNCE, "delivery report about no ticket e-mail of ours")
    message = bounce_record(bounce, inbound_email=row)
    assert message is not None
    return _processed(row, parsed, message.ticket, "bounce")


def _content(parsed: ParsedEmail, language: str, *, is_reply: bool = False) -> tuple[str, list[NewAttachment], str]:
    text = _new_text(parsed) if is_reply else parsed.text_body
    with translation.override(language):
        files, notes = _attachments(parsed)
        body = "\n\n".join([text.strip() or gettext("(no text)"), *notes])
        subject = parsed.subject or gettext("(no subject)")
    return body, files, subject


# "Fwd:", "FW:", "TR:" (Outlook in French), "WG:": a forwarded message is the content, not a quote.
_FORWARD = re.compile(r"^\s*(?:fwd?|tr|wg)\s*:", re.IGNORECASE)


def _new_text(parsed: ParsedEmail) -> str:
    """A reply without the quoted conversation and the signature; the original stays one click away."""
    if _FORWARD.match(parsed.subject):
        return parsed.text_body
    split = split_text_reply(parsed.text_body)
    if split.quoted or not parsed.html_body:
        return split.reply
    # HTML-only mail: the quote markers live in the markup (gmail_quote, type="cite"...).
    html_split = split_html_reply(parsed.html_body)
    return html_to_text(html_split.reply) if html_split.quoted else parsed.text_body


def _reply(row: InboundEmail, parsed: ParsedEmail, ticket: Ticket, author: User, matched_by: str) -> InboundEmail:
    if parsed.auto_submitted and ticket.status == Status.CLOSED:
        # An out-of-office must not open a follow-up ticket.
        return _quarantine(
            row,
            parsed,
            QuarantineKind.AUTO_REPLY_CLOSED,
            f"automatic reply to closed ticket #{ticket.reference}",
            ticket,
        )
    copy_people = not parsed.auto_submitted and matched_by in SIGNED_MATCHES
    # Copying people on an existing ticket lets them read its next replies: only
    # a message that proves it answers our e-mail may do it, never a subject tag
    # anyone can type next to a forged From.
    return _write_reply(row, parsed, ticket, author, matched_by, copy_people=copy_people)


def _write_reply(
    row: InboundEmail, parsed: ParsedEmail, ticket: Ticket, author: User, matched_by: str, *, copy_people: bool
) -> InboundEmail:
    """The message as a reply on the ticket, by its requester or one of its CCs."""
    body, files, _ = _content(parsed, ticket.language, is_reply=True)
    message = ticket_reply_by_requester(
        ticket=ticket,
        body=body,
        channel=Channel.EMAIL,
        files=files,
        inbound_email=row,
        author=author,
        automatic=parsed.auto_submitted,
    )
    if copy_people:
        ticket_add_ccs(message.ticket, _copied(parsed), actor=author)
    return _processed(row, parsed, message.ticket, matched_by)


def _new_ticket(row: InboundEmail, parsed: ParsedEmail, sender: str) -> InboundEmail:
    language = "fr" if _looks_french(parsed) else "en"
    body, files, subject = _content(parsed, language)
    ticket = ticket_create(
        email=sender,
        name=parsed.from_name,
        subject=subject,
        description=body,
        language=language,
        channel=Channel.EMAIL,
        files=files,
        inbound_email=row,
        # Never answer a robot: that is how loops start.
        automatic=parsed.auto_submitted,
    )
    if not parsed.auto_submitted:
        ticket_add_ccs(ticket, _copied(parsed), actor=ticket.requester)
    return _processed(row, parsed, ticket, "")


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
    return _process(row)


def _process(row: InboundEmail) -> InboundEmail:
    try:
        with time_limit(settings.COMPTOIR_INBOUND_PARSE_SECONDS):
            # The stored bytes, always: a second delivery of the same Message-ID may differ.
            parsed = parse_email(bytes(row.raw))
    except TimeLimitExceeded:
        seconds = settings.COMPTOIR_INBOUND_PARSE_SECONDS
        return _quarantine(row, None, QuarantineKind.TOO_SLOW, f"reading the message took longer than {seconds} s")
    try:
        return _act(row, parsed)
    except DataError as error:
        # A value from the message the database refuses (too long, bad encoding):
        # retrying will never help, so an agent gets it.
        return _quarantine(row, parsed, QuarantineKind.FAILED, f"the database refused a value: {error}")
    except DatabaseError as error:
        # The raw message is stored; leave it "received" so it can be retried.
        raise TemporaryFailure(str(error)) from error
    except Exception as error:
        logger.exception("Inbound e-mail %s could not be processed", row.pk)
        return _quarantine(row, parsed, QuarantineKind.FAILED, f"processing failed: {type(error).__name__}: {error}")


def ingest_stuck(older_than: timedelta = timedelta(minutes=10), batch: int = 100) -> int:
    """Process again the messages stored but left "received" when our side failed; returns how many ended."""
    stuck = InboundEmail.objects.filter(status=InboundStatus.RECEIVED, received_at__lt=timezone.now() - older_than)
    done = 0
    for row in stuck.order_by("received_at")[:batch]:
        try:
            _process(row)
        except TemporaryFailure:
            logger.warning("Inbound e-mail %s still cannot be processed; next run will try again", row.pk)
            break
        done += 1
    return done


# What an agent does with a quarantined message ----------------------------------


class NotQuarantined(Exception):
    """The message was released or deleted meanwhile (by another agent)."""


def _locked_quarantined(row: InboundEmail) -> InboundEmail:
    locked = InboundEmail.objects.select_for_update().filter(pk=row.pk, status=InboundStatus.QUARANTINED).first()
    if locked is None:
        raise NotQuarantined
    return locked


def _reread(row: InboundEmail) -> tuple[InboundEmail, ParsedEmail]:
    """The quarantined row, locked, and its stored bytes read again for an agent's decision."""
    row = _locked_quarantined(row)
    if row.quarantine_kind == QuarantineKind.TOO_SLOW:
        # Reading it again would hold this web worker as long: only deleting is offered.
        raise NotQuarantined
    return row, parse_email(bytes(row.raw))


@transaction.atomic
def quarantine_accept(row: InboundEmail, *, agent: User) -> InboundEmail:
    """Add the message to the ticket it answers; its sender becomes a CC of that ticket."""
    row, parsed = _reread(row)
    ticket = row.candidate_ticket
    if ticket is None:
        raise NotQuarantined
    sender = parsed.from_address or ""
    author = _author(ticket, sender)
    if author is None:
        ticket_add_ccs(ticket, [(parsed.from_name, sender)], actor=agent)
        author = person_get_or_create(email=sender, name=parsed.from_name)
    return _write_reply(row, parsed, ticket, author, "agent", copy_people=False)


@transaction.atomic
def quarantine_new_ticket(row: InboundEmail, *, agent: User) -> InboundEmail:
    """Open a new ticket for the sender with the message."""
    row, parsed = _reread(row)
    if not parsed.from_address:
        raise NotQuarantined
    return _new_ticket(row, parsed, parsed.from_address)


@transaction.atomic
def quarantine_delete(row: InboundEmail, *, agent: User) -> None:
    _locked_quarantined(row).delete()
    logger.info("Agent %s deleted quarantined e-mail %s", agent.pk, row.pk)
