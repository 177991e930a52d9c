"""The one write path for tickets: every entry point (web, e-mail, API, jobs) calls these."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from comptoir.accounts.models import User, normalize_email
from comptoir.mail.models import InboundEmail, OutboundKind
from comptoir.mail.outbound import email_queue
from comptoir.tickets.files import NewAttachment
from comptoir.tickets.models import (
    Attachment,
    AuthorRole,
    Channel,
    EventKind,
    Message,
    Status,
    Ticket,
    TicketEvent,
    TicketType,
)

# A requester's reply brings these back to an agent's attention.
REOPENED_BY_REQUESTER = {Status.PENDING, Status.ON_HOLD, Status.SOLVED}


def requester_get_or_create(*, email: str, name: str = "", language: str = "") -> User:
    address = normalize_email(email)
    user, created = User.objects.get_or_create(email=address, defaults={"name": name, "language": language})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif name and not user.name:
        user.name = name
        user.save(update_fields=["name"])
    return user


def _attach(ticket: Ticket, message: Message, files: Sequence[NewAttachment]) -> None:
    for item in files:
        attachment = Attachment(
            ticket=ticket,
            message=message,
            filename=item.checked.filename,
            content_type=item.checked.content_type,
            size=item.checked.size,
            sha256=item.checked.sha256,
        )
        attachment.file.save(item.checked.filename, File(item.content), save=False)
        attachment.save()


def _event(ticket: Ticket, actor: User | None, kind: str, old: str = "", new: str = "") -> None:
    TicketEvent.objects.create(ticket=ticket, actor=actor, kind=kind, old_value=old, new_value=new)


@transaction.atomic
def ticket_create(
    *,
    email: str,
    name: str,
    subject: str,
    description: str,
    ticket_type: str = TicketType.QUESTION,
    language: str,
    channel: str = Channel.WEB,
    files: Sequence[NewAttachment] = (),
    inbound_email: InboundEmail | None = None,
    follow_up_of: Ticket | None = None,
    send_confirmation: bool = True,
) -> Ticket:
    requester = requester_get_or_create(email=email, name=name, language=language)
    ticket = Ticket.objects.create(
        subject=subject.strip()[:200],
        requester=requester,
        type=ticket_type,
        channel=channel,
        language=language,
        status=Status.NEW,
        follow_up_of=follow_up_of,
    )
    message = Message.objects.create(
        ticket=ticket,
        author=requester,
        author_role=AuthorRole.REQUESTER,
        channel=channel,
        body=description,
        inbound_email=inbound_email,
    )
    _attach(ticket, message, files)
    _event(ticket, requester, EventKind.CREATED, new=Status.NEW)
    if send_confirmation:
        email_queue(kind=OutboundKind.TICKET_CREATED, to=requester.email, language=language, ticket=ticket)
    return ticket


def ticket_set_status(ticket: Ticket, status: str, *, actor: User | None) -> None:
    """Every status change goes through here, so the history and timestamps stay true."""
    if ticket.status == status:
        return
    old = ticket.status
    ticket.status = status
    now = timezone.now()
    fields = ["status", "updated_at"]
    if status == Status.SOLVED:
        ticket.solved_at = now
        fields.append("solved_at")
    elif status == Status.CLOSED:
        ticket.closed_at = now
        fields.append("closed_at")
    ticket.save(update_fields=fields)
    _event(ticket, actor, EventKind.STATUS, old=old, new=status)


@transaction.atomic
def ticket_reply_by_requester(
    *,
    ticket: Ticket,
    body: str,
    channel: str,
    files: Sequence[NewAttachment] = (),
    inbound_email: InboundEmail | None = None,
) -> Message:
    """Add the requester's reply; a closed ticket gets a linked follow-up instead.

    Returns the message written, whose ticket is the follow-up when one was opened.
    """
    ticket = Ticket.objects.select_for_update().select_related("requester").get(pk=ticket.pk)
    requester = ticket.requester
    if ticket.status == Status.CLOSED:
        follow_up = ticket_create(
            email=requester.email,
            name=requester.name,
            subject=ticket.subject,
            description=body,
            ticket_type=ticket.type,
            language=ticket.language,
            channel=channel,
            files=files,
            inbound_email=inbound_email,
            follow_up_of=ticket,
        )
        return follow_up.messages.get()
    message = Message.objects.create(
        ticket=ticket,
        author=requester,
        author_role=AuthorRole.REQUESTER,
        channel=channel,
        body=body,
        inbound_email=inbound_email,
    )
    _attach(ticket, message, files)
    _event(ticket, requester, EventKind.REPLY)
    if ticket.status in REOPENED_BY_REQUESTER:
        ticket_set_status(ticket, Status.OPEN, actor=requester)
    else:
        ticket.save(update_fields=["updated_at"])
    return message
