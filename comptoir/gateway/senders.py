"""Who may speak on a ticket by e-mail, and how loudly.

A message from one of a ticket's participants is written on it:

- publicly (and reopening it), when it proves it answers our e-mail (a signed
  reply address or Message-ID), or when DMARC vouches for its From domain;
- as an internal note, or into the quarantine (COMPTOIR_UNVERIFIED_SENDERS),
  when it proves neither: a subject tag or an id anyone copied has seen, next to
  a From address anyone can write;
- into the quarantine when it is the first message of someone copied on the
  ticket from an e-mail's headers: nobody vouched for them, and a robot copied
  on a ticket (a "noreply" address) would post its sign-up codes there; and as
  a note whenever such a person's message is automatic.

The checks themselves live in the transport (comptoir.mail.authentication);
this module decides which server's word counts and what follows from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from django.conf import settings

from comptoir.gateway.matching import SIGNED_MATCHES, MatchedBy
from comptoir.mail.authentication import SenderAuthentication, authenticate, configured_resolver, unverified
from comptoir.mail.models import InboundEmail, Mailbox, QuarantineKind
from comptoir.mail.parsing import ParsedEmail
from comptoir.tickets.models import Message, Ticket, TicketCC

# What the MTA pipe (the ingest_email command) labels the mail it hands over.
PIPE_SOURCE = "stdin"
IMAP_SOURCE_PREFIX = "imap:"


# Authentication ------------------------------------------------------------------


def trusted_authserv_ids(source: str) -> frozenset[str]:
    """Whose Authentication-Results count for mail from this channel: the pipe's MTA, a trusted mailbox's server."""
    identifiers: frozenset[str] = settings.COMPTOIR_TRUSTED_AUTHSERV_IDS
    if not identifiers:
        return frozenset()
    if source == PIPE_SOURCE:
        return identifiers
    if source.startswith(IMAP_SOURCE_PREFIX):
        name = source.removeprefix(IMAP_SOURCE_PREFIX)
        if Mailbox.objects.filter(name=name, trust_authentication_results=True).exists():
            return identifiers
    return frozenset()


def sender_authentication(row: InboundEmail, raw: bytes, parsed: ParsedEmail) -> SenderAuthentication:
    """Who vouches for the sender of the stored message (``raw``: its bytes); DNS is asked only when needed."""
    if parsed.from_problem:
        return unverified(f"not checked: {parsed.from_problem}")
    if not parsed.from_address:
        return unverified("not checked: the message names no sender")
    return authenticate(
        raw,
        from_address=parsed.from_address,
        trusted_ids=trusted_authserv_ids(row.source),
        resolver=configured_resolver(),
    )


AUTHENTICATION_FIELDS = (
    "sender_verified",
    "spf_result",
    "dkim_result",
    "dmarc_result",
    "verified_by",
    "verification_reason",
)


def authentication_remember(row: InboundEmail, found: SenderAuthentication) -> None:
    """Put the results on the row, saved with its status (AUTHENTICATION_FIELDS)."""
    row.sender_verified = found.verified
    row.spf_result = found.spf[:12]
    row.dkim_result = found.dkim[:12]
    row.dmarc_result = found.dmarc[:12]
    row.verified_by = found.checked_by[:255]
    row.verification_reason = found.reason


# Standing ------------------------------------------------------------------------


class Voice(Enum):
    PUBLIC = "public"
    NOTE = "note"
    QUARANTINE = "quarantine"


class NoteKind(Enum):
    UNVERIFIED_SENDER = "unverified_sender"
    AUTOMATIC_CC = "automatic_cc"


@dataclass(frozen=True)
class Standing:
    voice: Voice
    reason: str = ""
    quarantine_kind: QuarantineKind | None = None
    note_kind: NoteKind | None = None


PUBLIC = Standing(Voice.PUBLIC)


def standing(
    *, ticket: Ticket, sender: str, matched_by: str, parsed: ParsedEmail, found: SenderAuthentication
) -> Standing:
    """How a participant's message about ``ticket`` may be written on it."""
    # The requester speaks as the requester (comptoir.gateway.inbound._author writes as them first):
    # never their own ticket's CC (ticket_add_ccs skips them, a change of requester drops theirs),
    # so the most common reply asks the database nothing here.
    is_requester = ticket.requester.email.lower() == sender.lower()
    copied = None if is_requester else copied_from_headers(ticket, sender)
    if copied is not None and not _has_spoken(ticket, copied):
        reason = (
            f"first message from {sender}, who was copied on ticket #{ticket.reference} from an e-mail's "
            "headers: an agent decides whether they may write on it"
        )
        return Standing(Voice.QUARANTINE, reason, quarantine_kind=QuarantineKind.UNCONFIRMED_CC)
    if copied is not None and parsed.auto_submitted:
        reason = f"automatic message from {sender}, copied on the ticket from an e-mail's headers"
        return Standing(Voice.NOTE, reason, note_kind=NoteKind.AUTOMATIC_CC)
    if matched_by in SIGNED_MATCHES or found.verified:
        return PUBLIC
    return _unverified(ticket, sender, matched_by, found)


def _unverified(ticket: Ticket, sender: str, matched_by: str, found: SenderAuthentication) -> Standing:
    policy = settings.COMPTOIR_UNVERIFIED_SENDERS
    if matched_by == MatchedBy.COPIED_REFERENCE:
        proof = "a reference sent to its CCs only, which proves a CC wrote, not its requester"
    else:
        proof = f"{matched_by} only, which anyone can copy"
    reason = (
        f"matched ticket #{ticket.reference} by {proof}, and the sender {sender} is not verified: "
        f"{found.reason or 'not checked'}"
    )
    if policy == "quarantine":
        return Standing(Voice.QUARANTINE, reason, quarantine_kind=QuarantineKind.UNVERIFIED_SENDER)
    if policy == "note":
        return Standing(Voice.NOTE, reason, note_kind=NoteKind.UNVERIFIED_SENDER)
    return PUBLIC


def copied_from_headers(ticket: Ticket, address: str) -> TicketCC | None:
    """The ticket's CC at that address when an e-mail's To or Cc put them there, not an agent."""
    cc = ticket.ccs.select_related("added_by").filter(email__iexact=address).first()
    if cc is None or (cc.added_by is not None and cc.added_by.is_agent):
        return None
    return cc


def _has_spoken(ticket: Ticket, cc: TicketCC) -> bool:
    """An agent let one of their messages onto the ticket (accepting it from the quarantine)."""
    return Message.objects.filter(ticket=ticket, is_public=True, author__email__iexact=cc.email).exists()
