"""Secret links to one ticket, in the shape of Django's password-reset tokens.

The raw token (256 random bits, see tokens.py) exists only in the e-mail that
carries it and in the address the requester follows; the database keeps its
SHA-256. A link stops working after COMPTOIR_TICKET_LINK_DAYS days without use.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.mailing import person_email_queue
from comptoir.mail.models import OutboundKind
from comptoir.tickets.models import Ticket, TicketAccessToken
from comptoir.tickets.tokens import token_hash, token_looks_valid, token_new


def link_issue(ticket: Ticket) -> str:
    """Create a new link for the ticket and return its raw token."""
    raw = token_new()
    TicketAccessToken.objects.create(ticket=ticket, token_hash=token_hash(raw), last_used_at=timezone.now())
    return raw


def link_url(raw_token: str) -> str:
    # COMPTOIR_BASE_URL, never the request's Host header: a forged Host must not
    # be able to send a requester's secret link to someone else's server. The token
    # goes after "#", which browsers never send: no server or proxy log sees it.
    return f"{settings.COMPTOIR_BASE_URL}{reverse('ticket_link')}#{raw_token}"


def link_redeem(raw_token: str) -> Ticket | None:
    """The ticket a token opens, or None when it is unknown or expired."""
    if not token_looks_valid(raw_token):
        return None
    now = timezone.now()
    oldest_valid_use = now - timedelta(days=settings.COMPTOIR_TICKET_LINK_DAYS)
    token = (
        TicketAccessToken.objects.select_related("ticket")
        .filter(token_hash=token_hash(raw_token), last_used_at__gte=oldest_valid_use)
        .first()
    )
    if token is None:
        return None
    TicketAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.ticket


def ticket_link_send(*, email: str, language: str) -> None:
    """Queue the e-mail of fresh links to the address's recent tickets; it is not sent when there are none."""
    person_email_queue(kind=OutboundKind.TICKET_LINK, to=email.strip().lower(), language=language)


def links_purge_expired() -> int:
    cutoff = timezone.now() - timedelta(days=settings.COMPTOIR_TICKET_LINK_DAYS)
    deleted, _ = TicketAccessToken.objects.filter(last_used_at__lt=cutoff).delete()
    return deleted
