"""What the ticket e-mails say. Each builder issues fresh links at delivery time."""

from __future__ import annotations

from django.core.mail import EmailMultiAlternatives

from comptoir.mail.models import OutboundEmail, OutboundKind
from comptoir.mail.outbound import builder, render_email
from comptoir.tickets.links import link_issue, link_url
from comptoir.tickets.models import Ticket

LINKS_PER_EMAIL = 20


@builder(OutboundKind.TICKET_CREATED)
def ticket_created(email: OutboundEmail) -> EmailMultiAlternatives:
    ticket = email.ticket
    assert ticket is not None
    first_message = ticket.messages.order_by("created_at", "id").first()
    return render_email(
        "ticket_created",
        {
            "ticket": ticket,
            "requester_name": ticket.requester.name,
            "message": first_message,
            "link": link_url(link_issue(ticket)),
        },
        to=email.to_address,
        language=email.language,
    )


@builder(OutboundKind.TICKET_LINK)
def ticket_links(email: OutboundEmail) -> EmailMultiAlternatives | None:
    """Fresh links to every recent ticket of the address; nothing when it has none."""
    tickets = list(Ticket.objects.filter(requester__email=email.to_address).order_by("-updated_at")[:LINKS_PER_EMAIL])
    if not tickets:
        return None
    entries = [{"ticket": ticket, "link": link_url(link_issue(ticket))} for ticket in tickets]
    return render_email("ticket_links", {"entries": entries}, to=email.to_address, language=email.language)
