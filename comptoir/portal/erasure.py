"""A requester's right to erasure: the person goes, the support team's records stay coherent.

The account row cannot be deleted (tickets point to it), so it is anonymised:
no name, an address that can never receive mail, no way to sign in. Every copy
of the person's address elsewhere (CC rows, e-mail records, history) is swapped
for that placeholder, so an agent reading an old ticket sees one consistent
"Erased requester". What they wrote stays: it is part of the tickets; what their browser
sent with a ticket (comptoir.ticketforms.models.TicketContext) goes.
"""

from __future__ import annotations

import logging
import re
import secrets
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery

from comptoir.accounts.models import ERASED_DOMAIN, Role, User
from comptoir.mail.models import InboundEmail, OutboundEmail, OutboundStatus
from comptoir.mail.raw_store import raw_read, raw_replace
from comptoir.mail.suppressions import address_suppress, address_unsuppress
from comptoir.ticketforms.models import TicketContext
from comptoir.tickets.history import events_record_on_each, events_replace_value
from comptoir.tickets.models import (
    DeletedTicket,
    EventKind,
    Message,
    RuleTelling,
    Ticket,
    TicketAccessToken,
    TicketCC,
)

logger = logging.getLogger(__name__)

# Nothing may ever be sent to an erased account's placeholder: agents' replies on
# its old tickets are kept as "not sent" with this reason.
ERASED_REASON = "the requester erased their account"
SUPPRESSION_YEARS = 100


class NotErasable(Exception):
    """Agents' and administrators' accounts are closed by an administrator, not from the profile page."""


def can_erase_self(user: User) -> bool:
    return user.role == Role.REQUESTER and not user.is_staff and not user.is_superuser


def erased_address(user: User) -> str:
    # The random part keeps anyone from taking the placeholder in advance
    # (a guest ticket "from" erased-42@invalid.invalid would make it collide).
    return f"erased-{user.pk}-{secrets.token_hex(4)}@{ERASED_DOMAIN}"


@transaction.atomic
def account_erase(*, user: User) -> str:
    """Anonymise the person everywhere and close the account; returns the placeholder address.

    The caller logs the request's session out; every other session of the
    account ends because the account is inactive and its password hash changed.
    """
    if not can_erase_self(user):
        raise NotErasable
    old = user.email
    placeholder = erased_address(user)
    ticket_ids = list(Ticket.objects.filter(requester=user).values_list("pk", flat=True))

    # E-mail not yet out must not leave; what was sent keeps its row, under the placeholder.
    OutboundEmail.objects.filter(
        to_address__iexact=old, status__in=(OutboundStatus.QUEUED, OutboundStatus.SENDING)
    ).update(status=OutboundStatus.SUPPRESSED, last_error=ERASED_REASON, subject="", body_text="", body_html="")
    OutboundEmail.objects.filter(to_address__iexact=old).update(to_address=placeholder)
    # What a business rule was told to e-mail them (its texts are emptied once queued).
    RuleTelling.objects.filter(address__iexact=old).update(address=placeholder, texts={})
    address_unsuppress(old)
    address_suppress(placeholder, ERASED_REASON, days=365 * SUPPRESSION_YEARS)
    _scrub_inbound(old, placeholder)
    # Written out in text agents read: a signature or "write to me at ..." in a message or
    # a subject, and the reasons an e-mail was not sent ("x@y bounced ...").
    for model, field in ((Message, "body"), (Ticket, "subject"), (OutboundEmail, "last_error")):
        _replace_in_text(model, field, old, placeholder)

    # Copied on other people's tickets, and named in those tickets' history.
    TicketCC.objects.filter(email__iexact=old).update(email=placeholder, name="")
    events_replace_value(
        kinds=(EventKind.CC_ADDED, EventKind.CC_REMOVED, EventKind.REQUESTER_CHANGED), old=old, new=placeholder
    )
    DeletedTicket.objects.filter(requester_email__iexact=old).update(requester_email=placeholder)
    # Secret links already mailed to the person stop opening their tickets.
    TicketAccessToken.objects.filter(ticket_id__in=ticket_ids).delete()
    # What their browser said (browser, system, screen, language, pages read) is about them, not what they
    # wrote: it goes from every ticket they sent, whoever's it is now (comptoir.portal.export's rule).
    TicketContext.objects.filter(ticket_id__in=_sent_by(user)).delete()
    events_record_on_each(ticket_ids, actor=None, kind=EventKind.REQUESTER_ERASED)

    EmailAddress.objects.filter(Q(user=user) | Q(email__iexact=old)).delete()
    Authenticator.objects.filter(user=user).delete()
    user.groups.clear()
    user.user_permissions.clear()
    user.email = placeholder
    user.name = ""
    user.language = ""
    # Off rather than reset to the default: nothing is to reach this account again.
    user.notify_by_email = False
    user.organisation = None
    user.is_active = False
    user.set_unusable_password()
    user.save(update_fields=["email", "name", "language", "notify_by_email", "organisation", "is_active", "password"])
    logger.info("user %s erased their personal data (%d tickets kept, anonymised)", user.pk, len(ticket_ids))
    return placeholder


def _sent_by(user: User) -> QuerySet[Ticket, dict[str, Any]]:
    """The tickets whose first public message is the person's: the ones they sent, with their browser's details."""
    first_author = (
        Message.objects.filter(ticket=OuterRef("pk"), is_public=True).order_by("created_at", "id").values("author_id")
    )
    return (
        Ticket.objects.filter(messages__author=user)
        .annotate(sender=Subquery(first_author[:1]))
        .filter(sender=user.pk)
        .values("pk")
    )


def _replace_in_text(model: type[Model], field: str, old: str, placeholder: str) -> None:
    """Every ``model.field`` that holds ``old``, any case, holds the placeholder instead (cut to the field's length)."""
    pattern = re.compile(re.escape(old), re.IGNORECASE)
    length = getattr(model._meta.get_field(field), "max_length", None)
    rows = model._default_manager.filter(**{f"{field}__icontains": old}).only("pk", field)
    for row in rows.iterator(chunk_size=100):
        value = pattern.sub(placeholder, getattr(row, field))
        model._default_manager.filter(pk=row.pk).update(**{field: value[:length] if length else value})


def _scrub_inbound(old: str, placeholder: str) -> None:
    """The person's e-mails stay, as the messages they became do, but without their address.

    The raw source is rewritten wherever the address appears as such; a display
    name in an encoded header, or a name in the body, is part of what they wrote
    and stays with it, as the messages' text does.
    """
    pattern = re.compile(re.escape(old.encode()), re.IGNORECASE)
    rows = InboundEmail.objects.filter(from_address__iexact=old).only("pk", "sha256", "raw_file")
    for row in rows.iterator(chunk_size=100):
        raw_replace(row, pattern.sub(placeholder.encode(), raw_read(row)))
        InboundEmail.objects.filter(pk=row.pk).update(from_address=placeholder)
    _replace_in_text(InboundEmail, "subject", old, placeholder)
