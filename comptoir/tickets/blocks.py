"""Senders whose new tickets are refused: an address, or every address of a domain.

An agent blocks a sender when marking a ticket as spam (``services.ticket_mark_spam``);
admins see and lift blocks in the admin. A blocked sender's e-mail is kept in
quarantine, never lost, and their replies to tickets they already have still arrive.
"""

from __future__ import annotations

from enum import StrEnum

from comptoir.tickets.models import SenderBlock


class BlockScope(StrEnum):
    NONE = ""
    ADDRESS = "address"
    DOMAIN = "domain"


def block_pattern(email: str, scope: BlockScope) -> str:
    """What is stored to block ``email`` (``claire@example.org`` or ``@example.org``); "" for no block."""
    address = email.strip().lower()
    if scope is BlockScope.ADDRESS:
        return address
    if scope is BlockScope.DOMAIN and "@" in address:
        return "@" + address.rsplit("@", 1)[1]
    return ""


def block_for(email: str) -> SenderBlock | None:
    """The block refusing new tickets from ``email``, if any: its address's, or its domain's."""
    address = email.strip().lower()
    if "@" not in address:
        return None
    patterns = [address, "@" + address.rsplit("@", 1)[1]]
    return SenderBlock.objects.filter(pattern__in=patterns).order_by("pattern").first()
