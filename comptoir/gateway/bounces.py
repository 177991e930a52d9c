"""Delivery status notifications: which of our e-mails bounced, and what follows.

A bounce is never a ticket. It is matched to the e-mail it reports on (by the
returned Message-ID, ours and signed, or found in the report's text), shown on
that ticket as an internal note, and a permanent failure stops mail to the
address for a while (COMPTOIR_BOUNCE_SUPPRESSION_DAYS).
"""

from __future__ import annotations

from dataclasses import dataclass

from comptoir.mail.addressing import Check, check_message_id, valid_message_ids_in
from comptoir.mail.models import InboundEmail, OutboundEmail, OutboundStatus
from comptoir.mail.parsing import ParsedEmail
from comptoir.mail.suppressions import address_suppress
from comptoir.tickets.models import Message, Ticket
from comptoir.tickets.services import ticket_record_delivery_failure


@dataclass(frozen=True)
class Bounce:
    outbound: OutboundEmail | None
    ticket: Ticket | None
    recipient: str
    detail: str
    permanent: bool
    # The report names the address our e-mail went to: only then is it acted on.
    confirmed: bool = False


def looks_like_bounce(parsed: ParsedEmail) -> bool:
    """A delivery report, or anything from a mail server's robot: never a ticket either way."""
    if parsed.delivery_report is not None:
        return True
    return (parsed.from_address or "").partition("@")[0] in ("mailer-daemon", "postmaster")


def _quoted_id(parsed: ParsedEmail) -> str | None:
    # Bounces that are not RFC 3464 reports still quote the failed message's headers.
    texts = [parsed.text_body[:200_000]]
    texts += [part.content[:200_000].decode("utf-8", "replace") for part in parsed.attachments[:5]]
    return next((message_id for text in texts for message_id in valid_message_ids_in(text)), None)


def find_bounce(parsed: ParsedEmail) -> Bounce | None:
    """What the report is about, or None when it is about nothing we sent."""
    report = parsed.delivery_report
    message_id = report.original_message_id if report is not None else None
    if message_id is None or check_message_id(message_id).check is Check.NOT_OURS:
        message_id = _quoted_id(parsed) or message_id
    if not message_id:
        return None
    outbound = OutboundEmail.objects.select_related("ticket").filter(message_id=message_id).first()
    reference = check_message_id(message_id)
    if outbound is None and reference.check is not Check.VALID:
        return None
    ticket = outbound.ticket if outbound is not None else None
    if ticket is None and reference.ticket_reference is not None:
        ticket = Ticket.objects.filter(pk=Ticket.pk_from_reference(reference.ticket_reference)).first()
    reported = report.recipient if report is not None else None
    # Reports are not authenticated: one stops mail only to the address our
    # e-mail was really sent to, so nobody can silence someone else with it.
    # The report must name that address, in its Final-Recipient field or, for
    # the plain-text kind, in its text. Each recipient only ever sees the
    # Message-IDs of e-mails sent to them (outbound._thread_ids), so nobody else
    # can write a report about their mail.
    confirmed = outbound is not None and (
        reported == outbound.to_address.lower()
        or (reported is None and outbound.to_address.lower() in parsed.text_body[:200_000].lower())
    )
    return Bounce(
        outbound=outbound,
        ticket=ticket,
        recipient=outbound.to_address if outbound is not None else (reported or ""),
        detail=(report.diagnostic or report.status) if report is not None else "",
        # Without a report, a mailer-daemon message is taken as final.
        permanent=report.is_permanent_failure if report is not None else True,
        confirmed=confirmed,
    )


def bounce_record(bounce: Bounce, *, inbound_email: InboundEmail | None = None) -> Message | None:
    """Mark the e-mail bounced, suppress the address when final, and tell the agents on the ticket."""
    if bounce.outbound is not None and bounce.permanent and bounce.confirmed:
        OutboundEmail.objects.filter(pk=bounce.outbound.pk).update(
            status=OutboundStatus.BOUNCED, last_error=f"bounced: {bounce.detail}"[:2000]
        )
        address_suppress(bounce.recipient, bounce.detail)
    if bounce.ticket is None:
        return None
    return ticket_record_delivery_failure(
        bounce.ticket,
        recipient=bounce.recipient,
        detail=bounce.detail,
        permanent=bounce.permanent,
        inbound_email=inbound_email,
    )
