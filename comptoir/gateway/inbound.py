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
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, DataError, IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from comptoir.accounts.models import Role, User
from comptoir.accounts.services import person_get_or_create
from comptoir.gateway.bounces import bounce_record, find_bounce, looks_like_bounce
from comptoir.gateway.matching import SIGNED_MATCHES, is_participant, match_ticket
from comptoir.gateway.raw import HEADER_END, content_digest, header_block
from comptoir.gateway.senders import (
    AUTHENTICATION_FIELDS,
    NoteKind,
    Standing,
    Voice,
    authentication_remember,
    sender_authentication,
    standing,
)
from comptoir.mail.addressing import is_own_address
from comptoir.mail.authentication import SenderAuthentication, unverified
from comptoir.mail.models import InboundEmail, InboundStatus, QuarantineKind
from comptoir.mail.parsing import ParsedEmail, html_to_text, parse_email
from comptoir.mail.quotes import split_html_reply, split_text_reply
from comptoir.mail.raw_store import RawEmailUnavailable, raw_delete, raw_discard, raw_read, raw_save
from comptoir.mail.timelimit import TimeLimitExceeded, time_limit
from comptoir.tickets.blocks import block_for
from comptoir.tickets.files import NewAttachment, accept_file, clean_filename, max_files
from comptoir.tickets.models import Channel, Status, Ticket
from comptoir.tickets.services import (
    ticket_add_ccs,
    ticket_create,
    ticket_note_from_email,
    ticket_reply_by_requester,
)

logger = logging.getLogger(__name__)

# Control bytes are not allowed in a Message-ID (and PostgreSQL text refuses NUL):
# such an id is ignored and the message deduplicated by its hash instead.
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*<?([^\s<>\x00-\x1f\x7f]{1,250})>?(?=[\s>]|$)", re.I | re.M)


class TemporaryFailure(Exception):
    """Ours, not the sender's: the mail server should try again later."""


def quick_message_id(raw: bytes) -> str | None:
    """The Message-ID from the header block, read without a full parse, to deduplicate before storing."""
    end = HEADER_END.search(raw, 0, 1_000_000)
    headers = raw[: end.start()] if end else raw[:1_000_000]
    match = _MESSAGE_ID.search(headers)
    return match.group(1).decode("ascii", errors="replace") if match else None


def dedup_key(raw: bytes) -> str:
    """What makes two deliveries one message: its Message-ID and what its author wrote, or its bytes without an id."""
    message_id = quick_message_id(raw)
    return _dedup_key(message_id, content_digest(raw) if message_id else hashlib.sha256(raw).hexdigest())


def _dedup_key(message_id: str | None, digest: str) -> str:
    # The content digest covers the Message-ID field: cutting a long id to fit loses nothing.
    return f"mid+content:{digest}:{message_id}"[:300] if message_id else f"sha256:{digest}"


def _legacy_key(message_id: str) -> str:
    """The key of a message stored before keys held the content digest."""
    return f"mid:{message_id}"[:300]


def _legacy_copy(earlier: InboundEmail, message_id: str, content: str) -> bool:
    """The same message, stored before keys held the content digest (they were "mid:<id>")."""
    if earlier.dedup_key != _legacy_key(message_id):
        return False
    return content_digest(raw_read(earlier)) == content


def _set_aside(row: InboundEmail, kept: bytes, kind: QuarantineKind, reason: str) -> None:
    """Quarantine a row before it is first saved, named from its header block alone."""
    headline = parse_email(header_block(kept))
    row.status = InboundStatus.QUARANTINED
    row.quarantine_kind = kind
    row.quarantine_reason = reason
    row.processed_at = timezone.now()
    row.from_address = (headline.from_address or "")[:320]
    row.subject = headline.subject[:998]


@dataclass
class _Filed:
    """A message written to storage, and its row, not inserted yet."""

    row: InboundEmail
    kept: bytes
    key: str
    message_id: str | None
    content: str
    too_large: bool


def _file(raw: bytes, source: str, size: int) -> _Filed:
    """Write the bytes to storage (what is kept of them) and build their row; TemporaryFailure if storage fails.

    The file first, the row after: should the row's transaction roll back, the file is an
    orphan the purge deletes (comptoir.mail.raw_store), never a row without its message.
    """
    limit = settings.COMPTOIR_INBOUND_MAX_BYTES
    too_large = size > limit
    kept = header_block(raw) if too_large else raw
    message_id = quick_message_id(kept)
    content = content_digest(kept) if message_id else hashlib.sha256(kept).hexdigest()
    key = _dedup_key(message_id, content)
    try:
        name, digest = raw_save(kept)
    except Exception as error:
        # Ours whatever it is (a full disk, the bucket unreachable: OSError, botocore's errors): the server retries.
        raise TemporaryFailure(f"the message could not be written to storage: {type(error).__name__}") from error
    row = InboundEmail(dedup_key=key, sha256=digest, size=size, source=source, message_id=message_id or "")
    row.raw_file.name = name
    if too_large:
        reason = (
            f"the message is {size} bytes, over the limit of {limit} bytes (COMPTOIR_INBOUND_MAX_MB): "
            "only its header block was kept, and it was not read further"
        )
        _set_aside(row, kept, QuarantineKind.TOO_LARGE, reason)
    return _Filed(row, kept, key, message_id, content, too_large)


def _insert(filed: _Filed) -> InboundEmail | None:
    """Insert the row in the caller's transaction; or return the earlier copy it is (and insert nothing).

    A message that reuses the Message-ID of an earlier message with other content is
    inserted already quarantined, so that no retry (ingest_stuck) ever reads it as
    ordinary mail. The same message delivered again raises IntegrityError (dedup_key).
    """
    row, message_id = filed.row, filed.message_id
    # Two columns, not the whole row: nearly always there is no earlier message, and
    # building the query of every column cost more than running it.
    earlier = (
        InboundEmail.objects.filter(message_id=message_id)
        .exclude(dedup_key=filed.key)
        .order_by("pk")
        .values_list("pk", "dedup_key")
        .first()
        if message_id
        else None
    )
    if earlier is not None and message_id and earlier[1] == _legacy_key(message_id):
        legacy = InboundEmail.objects.defer("legacy_raw").get(pk=earlier[0])
        if _legacy_copy(legacy, message_id, filed.content):
            raw_discard(row.raw_file.name)
            return legacy
    if earlier is not None and not filed.too_large:
        # A second, different message under an id already seen: a broken
        # mailer, or someone hoping to have it dropped or taken for the first.
        reason = (
            f"Message-ID <{message_id}> was first used by inbound e-mail {earlier[0]}, "
            "whose content differs: kept here, not acted on"
        )
        _set_aside(row, filed.kept, QuarantineKind.REUSED_MESSAGE_ID, reason)
    row.save(force_insert=True)
    return None


def _delivered_before(filed: _Filed) -> InboundEmail:
    """The row of the same message delivered before (the same Message-ID and content, or the same bytes).

    The file just written goes, unless that row names it: a commit that failed half way may have kept
    this very delivery's row (a connection lost during COMMIT), and its file is then the only copy.
    """
    earlier = InboundEmail.objects.defer("legacy_raw").get(dedup_key=filed.key)
    if earlier.raw_file.name != filed.row.raw_file.name:
        raw_discard(filed.row.raw_file.name)
    return earlier


def _store(raw: bytes, source: str, size: int) -> tuple[InboundEmail, bool]:
    """Save the raw message once, in a transaction of its own; returns (row, created).

    A message over COMPTOIR_INBOUND_MAX_BYTES keeps only its header block, stored
    quarantined in the one write.
    """
    filed = _file(raw, source, size)
    try:
        with transaction.atomic():
            earlier = _insert(filed)
    except IntegrityError:
        return _delivered_before(filed), False
    # Any other failure leaves the file to the purge of orphans: whether a commit that failed
    # half way kept the row is not known here, and deleting a file a row names would lose the e-mail.
    return (earlier, False) if earlier is not None else (filed.row, True)


def _attachments(parsed: ParsedEmail) -> tuple[list[NewAttachment], list[str]]:
    """Files kept under the web form's rules (type, size, number), and a note on those refused."""
    kept: list[NewAttachment] = []
    notes: list[str] = []
    over_the_limit: list[str] = []
    limit = max_files()
    for part in parsed.attachments:
        if len(kept) >= limit:
            over_the_limit.append(f"“{clean_filename(part.filename)}”")
            continue
        try:
            kept.append(accept_file(io.BytesIO(part.content), part.filename, len(part.content)))
        except ValidationError as error:
            notes.append(gettext("[Attachment not kept: %(reason)s]") % {"reason": "; ".join(error.messages)})
    if over_the_limit:
        note = ngettext(
            "[File not kept, over the limit of %(limit)d files per message: %(names)s]",
            "[Files not kept, over the limit of %(limit)d files per message: %(names)s]",
            len(over_the_limit),
        )
        notes.append(note % {"limit": limit, "names": ", ".join(over_the_limit)})
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
            *AUTHENTICATION_FIELDS,
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
    fields = ["status", "processed_at", "ticket", "matched_by", "from_address", "subject", *AUTHENTICATION_FIELDS]
    row.save(update_fields=fields)
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


# No savepoint inside _store_and_act's transaction (two round trips): a failure rolls the whole of it back.
@transaction.atomic(savepoint=False)
def _act(row: InboundEmail, parsed: ParsedEmail, found: SenderAuthentication, *, fresh: bool = False) -> InboundEmail:
    """Thread the message and act on it; ``fresh``: the row was inserted in this very transaction."""
    if not fresh:
        # The row lock makes two workers that retry the same stored message act once:
        # the second finds it processed when the lock is released. Only the status is read
        # under the lock (the rest of the row is the caller's, and nobody else writes it
        # while it is "received"): a narrow SELECT is a fraction of a whole row's cost to build.
        # A fresh row needs none: no other transaction sees it before this one commits.
        status = InboundEmail.objects.select_for_update().values_list("status", flat=True).get(pk=row.pk)
        if status != InboundStatus.RECEIVED:
            return InboundEmail.objects.defer("legacy_raw").get(pk=row.pk)
        row.status = status
    authentication_remember(row, found)
    sender = parsed.from_address
    if not sender:
        reason = f"no usable sender address{f' ({parsed.from_problem})' if parsed.from_problem else ''}"
        return _quarantine(row, parsed, QuarantineKind.NO_SENDER, reason)
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
    if parsed.from_problem:
        # Some programs, DMARC's among them, would read another sender than we
        # would: the message speaks for nobody until an agent decides.
        reason = f"{parsed.from_problem}: the message is attributed to nobody"
        return _quarantine(row, parsed, QuarantineKind.AMBIGUOUS_FROM, reason, ticket)
    if ticket is not None and is_participant(ticket, sender):
        return _from_participant(row, parsed, ticket, match.proof_for(ticket, sender), found, locked=match.locked)
    if ticket is not None:
        refused = _from_outsider(row, parsed, ticket, sender, match.matched_by)
        if refused is not None:
            return refused
    blocked = block_for(sender)
    if blocked is not None:
        # Kept aside, not lost: an agent can still open the ticket from the quarantine.
        return _quarantine(row, parsed, QuarantineKind.BLOCKED_SENDER, f"new ticket from a blocked sender ({blocked})")
    return _new_ticket(row, parsed, sender, vouched=found.verified or settings.COMPTOIR_UNVERIFIED_SENDERS == "public")


def _from_outsider(
    row: InboundEmail, parsed: ParsedEmail, ticket: Ticket, sender: str, matched_by: str
) -> InboundEmail | None:
    """A message about a ticket from someone not on it: quarantined, or None to open them a ticket of their own."""
    if User.objects.filter(email__iexact=sender, role__in=(Role.AGENT, Role.ADMIN)).exists():
        reason = f"agent {sender} answered by e-mail; agents answer from the workspace"
        return _quarantine(row, parsed, QuarantineKind.AGENT, reason, ticket)
    if settings.COMPTOIR_INBOUND_STRANGERS == "quarantine":
        # A reference can be copied from a forwarded mail, a subject tag typed
        # by anyone: only the ticket's participants write into it this way.
        reason = f"sender {sender} is not a participant of ticket #{ticket.reference} (matched by {matched_by})"
        return _quarantine(row, parsed, QuarantineKind.STRANGER, reason, ticket)
    return None


def _from_participant(
    row: InboundEmail,
    parsed: ParsedEmail,
    ticket: Ticket,
    matched_by: str,
    found: SenderAuthentication,
    *,
    locked: bool = False,
) -> InboundEmail:
    """A message from the requester or a CC: public, a note or quarantined, as comptoir.gateway.senders decides."""
    sender = parsed.from_address or ""
    decided = standing(ticket=ticket, sender=sender, matched_by=matched_by, parsed=parsed, found=found)
    if decided.voice is Voice.QUARANTINE and decided.quarantine_kind is not None:
        return _quarantine(row, parsed, decided.quarantine_kind, decided.reason, ticket)
    if decided.voice is Voice.NOTE:
        return _write_note(row, parsed, ticket, matched_by, decided)
    author = _author(ticket, sender)
    assert author is not None
    return _reply(row, parsed, ticket, author, matched_by, locked=locked)


def _write_note(
    row: InboundEmail, parsed: ParsedEmail, ticket: Ticket, matched_by: str, decided: Standing
) -> InboundEmail:
    """The message kept on the ticket for the agents only, under a line saying why; the ticket is left as it was."""
    body, files, _ = _content(parsed, ticket.language, is_reply=True)
    values = {"address": parsed.from_address}
    with translation.override(ticket.language):
        if decided.note_kind is NoteKind.AUTOMATIC_CC:
            heading = gettext(
                "Automatic message from %(address)s, who was copied on this ticket by e-mail. "
                "It is kept as an internal note: nobody was told."
            )
        else:
            heading = gettext(
                "Unverified sender: this e-mail says it is from %(address)s, but nothing proves it. "
                "It is kept as an internal note: the requester was not told and the ticket was not changed."
            )
    ticket_note_from_email(ticket, body=f"{heading % values}\n\n{body}", inbound_email=row, files=files)
    return _processed(row, parsed, ticket, matched_by)


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


def _answered_by_nobody(parsed: ParsedEmail) -> bool:
    """A message Comptoir sends nothing to and opens nothing for: a robot's, or one that reads like an out-of-office."""
    return parsed.auto_submitted or parsed.reads_as_out_of_office


def _reply(
    row: InboundEmail, parsed: ParsedEmail, ticket: Ticket, author: User, matched_by: str, *, locked: bool = False
) -> InboundEmail:
    if _answered_by_nobody(parsed) and ticket.status == Status.CLOSED:
        # An out-of-office must not open a follow-up ticket (which would confirm it by e-mail).
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
    return _write_reply(row, parsed, ticket, author, matched_by, copy_people=copy_people, locked=locked)


def _write_reply(
    row: InboundEmail,
    parsed: ParsedEmail,
    ticket: Ticket,
    author: User,
    matched_by: str,
    *,
    copy_people: bool,
    locked: bool = False,
) -> InboundEmail:
    """The message as a reply on the ticket, by its requester or one of its CCs; ``locked`` as in Match."""
    body, files, _ = _content(parsed, ticket.language, is_reply=True)
    message = ticket_reply_by_requester(
        ticket=ticket,
        body=body,
        channel=Channel.EMAIL,
        files=files,
        inbound_email=row,
        author=author,
        automatic=parsed.auto_submitted,
        locked=locked,
    )
    people = _copied(parsed) if copy_people else []
    if people:
        ticket_add_ccs(message.ticket, people, actor=author)
    return _processed(row, parsed, message.ticket, matched_by)


def _new_ticket(row: InboundEmail, parsed: ParsedEmail, sender: str, *, vouched: bool) -> InboundEmail:
    """A ticket for the sender; the people they wrote to are copied only when someone vouches for the sender.

    A forged From copying its author would send every answer to the person
    forged to the forger as well: then the addresses are listed in a note for
    the agents, who can copy them from the ticket.
    """
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
        automatic=_answered_by_nobody(parsed),
    )
    people = [] if _answered_by_nobody(parsed) else _copied(parsed)
    if people and vouched:
        ticket_add_ccs(ticket, people, actor=ticket.requester)
    elif people:
        _note_not_copied(ticket, row, [address for _, address in people])
    return _processed(row, parsed, ticket, "")


def _note_not_copied(ticket: Ticket, row: InboundEmail, addresses: list[str]) -> None:
    values = {"addresses": ", ".join(addresses), "reason": row.verification_reason or "not checked"}
    with translation.override(ticket.language):
        body = gettext(
            "Not copied on this ticket: %(addresses)s. The e-mail named them, but its sender is not "
            "verified (%(reason)s), and copying them would send them every answer. "
            "Copy them from the ticket if they should follow it."
        )
    ticket_note_from_email(ticket, body=body % values, inbound_email=row)


_FRENCH_HINTS = re.compile(r"\b(bonjour|merci|je|vous|nous|est|pas|une|avec|pour)\b", re.I)


def _looks_french(parsed: ParsedEmail) -> bool:
    sample = f"{parsed.subject}\n{parsed.text_body[:2000]}"
    return len(_FRENCH_HINTS.findall(sample)) >= 3


def ingest(raw: bytes, *, source: str, size: int | None = None) -> InboundEmail:
    """Store, parse, thread and act on one message. Raises TemporaryFailure when our side failed.

    ``size`` is the whole message's size when the channel read only its start:
    channels stop reading at COMPTOIR_INBOUND_MAX_BYTES + 1 bytes. A message
    over that limit is never parsed whole: its header block is kept, quarantined.

    A message is written to storage, parsed and its sender checked, then its row is
    inserted and acted on in one transaction (one commit, no lock: no other worker
    sees the row before it commits). Nothing is acknowledged before that commit: when
    it fails, the row is written again on its own, "received" for a retry or
    quarantined, and the file stays with it.
    """
    whole = max(len(raw), size or 0)
    if whole > settings.COMPTOIR_INBOUND_MAX_BYTES:
        try:
            row, _ = _store(raw, source, whole)
        except DatabaseError as error:
            raise TemporaryFailure(str(error)) from error
        return row if row.status != InboundStatus.RECEIVED else _process(row)
    filed = _file(raw, source, whole)
    parsed = _parse(raw)
    found = _authenticate(filed.row, raw, parsed) if parsed is not None else unverified("not checked: not read")
    authentication_remember(filed.row, found)
    return _store_and_act(filed, parsed, found)


def _parse(raw: bytes) -> ParsedEmail | None:
    """The parsed message, or None when reading it took longer than COMPTOIR_INBOUND_PARSE_SECONDS."""
    try:
        with time_limit(settings.COMPTOIR_INBOUND_PARSE_SECONDS):
            return parse_email(raw)
    except TimeLimitExceeded:
        return None


def _too_slow() -> str:
    return f"reading the message took longer than {settings.COMPTOIR_INBOUND_PARSE_SECONDS} s"


def _store_and_act(filed: _Filed, parsed: ParsedEmail | None, found: SenderAuthentication) -> InboundEmail:
    """Insert the row of a message just filed and act on it, in one transaction."""
    row = filed.row
    inserted = False
    try:
        with transaction.atomic():
            earlier = _insert(filed)
            if earlier is None:
                inserted = True
                if row.status != InboundStatus.RECEIVED:
                    return row
                if parsed is None:
                    return _quarantine(row, None, QuarantineKind.TOO_SLOW, _too_slow())
                return _act(row, parsed, found, fresh=True)
    except IntegrityError as error:
        if inserted:
            return _kept_after_failure(filed, parsed, error)
        earlier = _delivered_before(filed)
    except DatabaseError as error:
        if not inserted:
            # Whether a commit that failed half way kept the row is not known here: the file
            # is left to the purge of orphans, and the server retries.
            raise TemporaryFailure(str(error)) from error
        return _kept_after_failure(filed, parsed, error)
    except Exception as error:
        if not inserted:
            raise
        logger.exception("Inbound e-mail %s could not be processed", row.dedup_key)
        return _kept_after_failure(filed, parsed, error)
    # Delivered before: what that delivery left "received" (our side failed on it) is processed now.
    return earlier if earlier.status != InboundStatus.RECEIVED else _process(earlier)


def _kept_after_failure(filed: _Filed, parsed: ParsedEmail | None, error: Exception) -> InboundEmail:
    """Insert the row again after acting on it failed and rolled it back, as _process keeps a stored row.

    A value the database refuses, or a bug: quarantined for an agent. Any other database
    error: "received", retried by ingest_stuck or the next delivery, and TemporaryFailure.
    """
    row = filed.row
    row.pk = None
    row._state.adding = True
    # What the rolled-back attempt put on it goes with it.
    row.ticket = row.candidate_ticket = row.processed_at = None
    row.matched_by = row.quarantine_kind = row.quarantine_reason = ""
    row.status = InboundStatus.RECEIVED
    temporary = isinstance(error, DatabaseError) and not isinstance(error, DataError)
    if not temporary:
        if isinstance(error, DataError):
            reason = f"the database refused a value: {error}"
        else:
            reason = f"processing failed: {type(error).__name__}: {error}"
        row.status = InboundStatus.QUARANTINED
        row.quarantine_kind = QuarantineKind.FAILED
        row.quarantine_reason = reason
        row.processed_at = timezone.now()
        if parsed is not None:
            row.from_address = (parsed.from_address or "")[:320]
            row.subject = parsed.subject[:998]
    try:
        with transaction.atomic():
            earlier = _insert(filed)
    except IntegrityError:
        # The same message, stored meanwhile by another delivery: that one is answered for.
        earlier = _delivered_before(filed)
    except DatabaseError as again:
        raise TemporaryFailure(str(again)) from error
    if temporary:
        raise TemporaryFailure(str(error)) from error
    return earlier if earlier is not None else row


def was_too_large(row: InboundEmail) -> bool:
    """The message was over the size limit: the channel should say so to the sending server, if it can."""
    return row.quarantine_kind == QuarantineKind.TOO_LARGE


def _process(row: InboundEmail) -> InboundEmail:
    """Parse, thread and act on a row stored earlier and left "received" (our side failed on it)."""
    try:
        # The stored bytes, always: a second delivery of the same Message-ID may differ.
        raw = raw_read(row)
    except RawEmailUnavailable as error:
        # Missing, or not the bytes the hash names: no retry brings them back; an administrator looks.
        logger.error("%s", error)
        return _quarantine(row, None, QuarantineKind.FAILED, str(error))
    except Exception as error:
        # The storage is unreachable (a network share, the bucket): the row stays "received" for a retry.
        raise TemporaryFailure(f"the message could not be read from storage: {type(error).__name__}") from error
    parsed = _parse(raw)
    if parsed is None:
        return _quarantine(row, None, QuarantineKind.TOO_SLOW, _too_slow())
    found = _authenticate(row, raw, parsed)
    authentication_remember(row, found)
    try:
        return _act(row, parsed, found)
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


def _authenticate(row: InboundEmail, raw: bytes, parsed: ParsedEmail) -> SenderAuthentication:
    """Who vouches for the sender, checked before the row is locked: DNS may take a few seconds."""
    seconds = settings.COMPTOIR_INBOUND_PARSE_SECONDS
    try:
        with time_limit(seconds):
            return sender_authentication(row, raw, parsed)
    except TimeLimitExceeded:
        return unverified(f"checking the sender took longer than {seconds} s", dmarc="temperror")
    except DatabaseError as error:
        raise TemporaryFailure(str(error)) from error
    except Exception as error:
        logger.exception("The sender of inbound e-mail %s could not be checked", row.pk)
        return unverified(f"the sender could not be checked: {type(error).__name__}", dmarc="temperror")


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
    if row.quarantine_kind in (QuarantineKind.TOO_SLOW, QuarantineKind.TOO_LARGE):
        # Too slow: reading it again would hold this web worker as long. Too large: only its
        # header was kept, and a ticket made of a header would lose what was sent. Only deleting is offered.
        raise NotQuarantined
    return row, parse_email(raw_read(row))


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
    # The agent read the message and chose to open it a ticket: they vouch for it.
    return _new_ticket(row, parsed, parsed.from_address, vouched=True)


@transaction.atomic
def quarantine_delete(row: InboundEmail, *, agent: User) -> None:
    raw_delete(_locked_quarantined(row))
    logger.info("Agent %s deleted quarantined e-mail %s", agent.pk, row.pk)
