"""Which ticket an inbound message answers: a query, no side effects.

In order of trust: a signed reply address among the recipients, then the
In-Reply-To/References ids (our signed Message-IDs, then ids we stored), then a
``[#1042]`` tag in the subject. Any forged signature spoils the whole match. The
caller decides what the sender may do with the ticket found: only the signed
matches prove the message answers our e-mail. A stored id proves nothing: the
requester's own Message-ID is seen by everyone she copied.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from comptoir.mail.addressing import Check, check_message_id, check_reply_address, subject_tag_references
from comptoir.mail.models import InboundEmail, OutboundEmail
from comptoir.mail.parsing import ParsedEmail
from comptoir.tickets.models import Ticket
from comptoir.tickets.services import merge_destination

MAX_REFERENCES = 50


class MatchedBy(StrEnum):
    REPLY_ADDRESS = "reply_address"
    # One of our signed Message-IDs in In-Reply-To/References.
    REFERENCES = "references"
    # An id we stored but did not sign: our older e-mails', the requester's own.
    STORED_REFERENCE = "stored_reference"
    SUBJECT_TAG = "subject_tag"
    # A signed reference of the e-mails sent to the people copied, on a message
    # from the requester's address: it proves a CC wrote, not that she did.
    COPIED_REFERENCE = "copied_reference"
    NOTHING = ""


# Matches that prove the message answers one of the ticket's e-mails (a signed
# reply address or Message-ID), as a subject tag or a stored id does not.
SIGNED_MATCHES = frozenset({MatchedBy.REPLY_ADDRESS, MatchedBy.REFERENCES})


@dataclass(frozen=True)
class Match:
    ticket: Ticket | None
    matched_by: MatchedBy
    # A signature of ours that does not verify: someone is guessing.
    forged: bool = False
    # The signed reference that found the ticket was given to its CCs, not its requester.
    copied: bool = False
    # The ticket was read by reference under SELECT ... FOR UPDATE, with its requester and
    # assignee, in the caller's transaction: the reply written to it need not read it again.
    locked: bool = False

    def proof_for(self, ticket: Ticket, sender: str) -> MatchedBy:
        """What the match proves for a message from ``sender``: a CC's reference proves nothing for the requester."""
        if self.copied and ticket.requester.email.lower() == sender.lower():
            return MatchedBy.COPIED_REFERENCE
        return self.matched_by


def _ticket(reference: int | None) -> Ticket | None:
    """The ticket, locked as the reply service would lock it (match_ticket runs in the writing transaction)."""
    if reference is None:
        return None
    tickets = Ticket.objects.select_for_update(of=("self",)).select_related("requester", "assignee")
    return tickets.filter(pk=Ticket.pk_from_reference(reference)).first()


def _by_reply_address(parsed: ParsedEmail) -> tuple[Ticket | None, bool, bool]:
    """(the ticket, whether a signature was forged, whether the address was a CC's)."""
    forged = False
    for address in (*parsed.to_addresses, *parsed.cc_addresses, *parsed.envelope_recipients):
        reference = check_reply_address(address)
        if reference.check is Check.VALID:
            return _ticket(reference.ticket_reference), forged, reference.copied
        forged = forged or reference.check is Check.FORGED
    return None, forged, False


def _by_references(parsed: ParsedEmail) -> tuple[Ticket | None, bool, bool, bool]:
    """(the ticket, whether a signature was forged, whether the id that found it is signed, and a CC's)."""
    # The direct parent first, then the thread from the newest to the root.
    referenced = list(dict.fromkeys([*parsed.in_reply_to, *reversed(parsed.references)]))[:MAX_REFERENCES]
    forged = False
    for message_id in referenced:
        reference = check_message_id(message_id)
        if reference.check is Check.VALID:
            return _ticket(reference.ticket_reference), forged, True, reference.copied
        forged = forged or reference.check is Check.FORGED
    if not referenced:
        return None, forged, False, False
    return _by_stored_references(referenced), forged, False, False


def _by_stored_references(referenced: list[str]) -> Ticket | None:
    # Ids we did not sign: our older e-mails, and the requester's own messages.
    ours = (
        OutboundEmail.objects.filter(message_id__in=referenced, ticket__isnull=False)
        .select_related("ticket", "ticket__requester")
        .order_by("-created_at")
        .first()
    )
    if ours is not None:
        return ours.ticket
    theirs = (
        InboundEmail.objects.filter(message_id__in=referenced, ticket__isnull=False)
        .select_related("ticket", "ticket__requester")
        .order_by("-received_at")
        .first()
    )
    return theirs.ticket if theirs is not None else None


def match_ticket(parsed: ParsedEmail) -> Match:
    """The ticket the message answers; a merged ticket's mail goes where its conversation went.

    Call it inside the transaction that acts on the message: a ticket found by its reference
    is locked there (``Match.locked``).
    """
    match = _match(parsed)
    if match.ticket is not None and match.ticket.merged_into_id is not None:
        return replace(match, ticket=merge_destination(match.ticket), locked=False)
    return match


def _match(parsed: ParsedEmail) -> Match:
    ticket, forged_address, address_copied = _by_reply_address(parsed)
    if ticket is not None and not forged_address:
        return Match(ticket, MatchedBy.REPLY_ADDRESS, copied=address_copied, locked=True)
    by_references, forged_reference, signed, id_copied = _by_references(parsed)
    forged = forged_address or forged_reference
    by = MatchedBy.REFERENCES if signed else MatchedBy.STORED_REFERENCE
    if ticket is not None or forged:
        return Match(ticket or by_references, MatchedBy.REPLY_ADDRESS if ticket else by, forged)
    if by_references is not None:
        # A signed id's ticket was read by _ticket (locked); a stored id's came with another row.
        return Match(by_references, by, copied=id_copied, locked=signed)
    for reference in subject_tag_references(parsed.subject):
        tagged = _ticket(reference)
        if tagged is not None:
            return Match(tagged, MatchedBy.SUBJECT_TAG, locked=True)
    return Match(None, MatchedBy.NOTHING)


def is_participant(ticket: Ticket, address: str) -> bool:
    """The requester or someone copied on the ticket."""
    lowered = address.lower()
    return ticket.requester.email.lower() == lowered or ticket.ccs.filter(email__iexact=lowered).exists()
