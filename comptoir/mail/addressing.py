"""Signed references that let a reply find its ticket, and nothing else.

Every e-mail about a ticket carries three references, from strongest to weakest:

- a reply address ``support+1042.<signature>@domain`` (plus-addressing on the
  support address, or ``1042.<signature>@reply-domain`` when a reply domain is
  configured), whose signature covers the ticket reference;
- a Message-ID ``<cpt.1042.<nonce>.<signature>@domain>`` whose signature
  covers the reference and the nonce, so a reply's In-Reply-To/References
  prove which ticket it answers even when no row remembers that ID;
- a ``[#1042]`` tag in the subject, which proves nothing and is only trusted
  together with a participant's address (see comptoir.mail.threading).

The e-mails sent to the people copied on a ticket carry references of their
own (``1042.c.<signature>``, ``cpt.1042c.<nonce>...``), signed for another
purpose: a CC answering with the requester's address in From proves only that
a CC wrote (comptoir.gateway.matching), so cannot speak publicly as her.

Signatures are HMACs keyed by SECRET_KEY (and its fallbacks, so rotating the
key does not orphan replies in flight). The module is pure apart from settings.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.utils.crypto import salted_hmac

# 26 base32 characters carry 130 bits: the same strength as the ticket links.
_SIGNATURE_CHARS = 26
_SIGNATURE = rf"[a-z2-7]{{{_SIGNATURE_CHARS}}}"
# re.ASCII: without it [a-z] with IGNORECASE also matches the long s (U+017F) and \d matches
# other scripts' digits, and hmac.compare_digest refuses non-ASCII strings.
_MESSAGE_ID_LOCAL = rf"cpt\.(\d{{1,12}})(c?)\.([0-9a-f]{{16}})\.({_SIGNATURE})"
_MESSAGE_ID = re.compile(rf"^{_MESSAGE_ID_LOCAL}@(.+)$", re.IGNORECASE | re.ASCII)
_MESSAGE_ID_IN_TEXT = re.compile(rf"{_MESSAGE_ID_LOCAL}@[A-Za-z0-9.-]+", re.IGNORECASE | re.ASCII)
_REPLY_LOCAL = re.compile(rf"^(\d{{1,12}})\.(c\.)?({_SIGNATURE})$", re.IGNORECASE | re.ASCII)
_SUBJECT_TAG = re.compile(r"\[#(\d{1,12})\]", re.ASCII)


class Check(Enum):
    """What a reference turned out to be."""

    NOT_OURS = "not ours"
    VALID = "valid"
    FORGED = "forged"


@dataclass(frozen=True)
class Reference:
    check: Check
    ticket_reference: int | None = None
    # Given to the people copied on the ticket, not to its requester.
    copied: bool = False


_NOT_OURS = Reference(Check.NOT_OURS)


def _signature(purpose: str, value: str, secret: str | bytes) -> str:
    digest = salted_hmac(f"comptoir.mail.{purpose}", value, secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest).decode("ascii").lower()[:_SIGNATURE_CHARS]


def _sign(purpose: str, value: str) -> str:
    return _signature(purpose, value, settings.SECRET_KEY)


def _verify(purpose: str, value: str, signature: str) -> bool:
    secrets_to_try = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    given = signature.lower().encode("ascii", "replace")
    return any(
        hmac.compare_digest(_signature(purpose, value, secret).encode("ascii"), given) for secret in secrets_to_try
    )


def support_domain() -> str:
    return str(settings.COMPTOIR_SUPPORT_EMAIL).rpartition("@")[2].lower()


def _reply_domain() -> str:
    return str(settings.COMPTOIR_REPLY_DOMAIN or support_domain()).lower()


# Message-IDs -------------------------------------------------------------------


def _purpose(name: str, copied: bool) -> str:
    return f"{name}-copied" if copied else name


def ticket_message_id(ticket_reference: int, *, copied: bool = False) -> str:
    """A fresh Message-ID (without angle brackets) that names and signs the ticket, for its requester or a CC."""
    nonce = secrets.token_hex(8)
    signature = _sign(_purpose("message-id", copied), f"{ticket_reference}.{nonce}")
    return f"cpt.{ticket_reference}{'c' if copied else ''}.{nonce}.{signature}@{support_domain()}"


def check_message_id(message_id: str) -> Reference:
    match = _MESSAGE_ID.match(message_id.strip("<> "))
    if match is None or match.group(5).lower() != support_domain():
        return _NOT_OURS
    reference, copied = int(match.group(1)), bool(match.group(2))
    nonce, signature = match.group(3).lower(), match.group(4)
    if _verify(_purpose("message-id", copied), f"{reference}.{nonce}", signature):
        return Reference(Check.VALID, reference, copied)
    return Reference(Check.FORGED, reference)


def valid_message_ids_in(text: str) -> list[str]:
    """Our Message-IDs, with a valid signature, quoted anywhere in a text (a bounce's, say)."""
    return [
        found.group(0)
        for found in _MESSAGE_ID_IN_TEXT.finditer(text)
        if check_message_id(found.group(0)).check is Check.VALID
    ]


# Reply addresses ---------------------------------------------------------------


def reply_address(ticket_reference: int, *, copied: bool = False) -> str:
    """The address replies about this ticket go to; the same for the ticket's whole life (one for its CCs)."""
    signature = _sign(_purpose("reply-address", copied), str(ticket_reference))
    token = f"{ticket_reference}.{'c.' if copied else ''}{signature}"
    if settings.COMPTOIR_REPLY_DOMAIN:
        return f"{token}@{_reply_domain()}"
    local, _, domain = str(settings.COMPTOIR_SUPPORT_EMAIL).rpartition("@")
    return f"{local}+{token}@{domain}"


def check_reply_address(address: str) -> Reference:
    local, _, domain = address.strip().lower().rpartition("@")
    if settings.COMPTOIR_REPLY_DOMAIN:
        if domain != _reply_domain():
            return _NOT_OURS
        token = local
    else:
        support_local = str(settings.COMPTOIR_SUPPORT_EMAIL).rpartition("@")[0].lower()
        base, plus, token = local.partition("+")
        if domain != support_domain() or base != support_local or not plus:
            return _NOT_OURS
    match = _REPLY_LOCAL.match(token)
    if match is None:
        # Another use of plus-addressing (support+billing@...): not a reply address.
        return _NOT_OURS
    reference, copied = int(match.group(1)), bool(match.group(2))
    if _verify(_purpose("reply-address", copied), str(reference), match.group(3)):
        return Reference(Check.VALID, reference, copied)
    return Reference(Check.FORGED, reference)


def is_own_address(address: str) -> bool:
    """The support address itself or one of its reply addresses: never a participant."""
    lowered = address.strip().lower()
    if lowered in settings.COMPTOIR_OWN_ADDRESSES:
        return True
    local, _, domain = lowered.rpartition("@")
    support_local, _, support = str(settings.COMPTOIR_SUPPORT_EMAIL).lower().rpartition("@")
    if domain == support and local.partition("+")[0] == support_local:
        return True
    return check_reply_address(address).check is not Check.NOT_OURS


# Subject tags ------------------------------------------------------------------


def subject_tag_references(subject: str) -> list[int]:
    """Ticket references tagged ``[#1042]`` in a subject, in order of appearance."""
    return [int(found) for found in _SUBJECT_TAG.findall(subject)][:5]
