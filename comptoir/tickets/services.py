"""The one write path for tickets: every entry point (web, e-mail, API, jobs) calls these."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir.accounts.models import User, normalize_email
from comptoir.accounts.services import email_address_record
from comptoir.mail.addressing import is_own_address
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
    SupportGroup,
    Survey,
    Ticket,
    TicketCC,
    TicketEvent,
    TicketType,
)
from comptoir.tickets.statuses import ACTIVE_STATUSES, REOPENED_BY_REQUESTER, status_after_agent_action


class _Unchanged:
    """Marks a field the caller leaves as it is (None means "nobody" for the assignee)."""


UNCHANGED: Final = _Unchanged()


class TicketClosed(Exception):
    """A closed ticket is final: only internal notes may still be added."""


def requester_get_or_create(*, email: str, name: str = "") -> User:
    address = normalize_email(email)
    # Names come from e-mail headers too: whatever their length, they fit.
    name = name.strip()[: User._meta.get_field("name").max_length]
    # The language is not stored on the person: it stays blank until they choose one
    # (sign-up, profile), and until then each ticket's e-mails follow that ticket.
    user, created = User.objects.get_or_create(email=address, defaults={"name": name})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        email_address_record(user=user, verified=False)
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
    requester = requester_get_or_create(email=email, name=name)
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
    if follow_up_of is not None:
        _event(follow_up_of, requester, EventKind.FOLLOW_UP, new=f"#{ticket.reference}")
    if send_confirmation:
        email_queue(kind=OutboundKind.TICKET_CREATED, to=requester.email, language=language, ticket=ticket)
    return ticket


def ticket_set_status(
    ticket: Ticket, status: str, *, actor: User | None, solved_before: datetime | None = None
) -> bool:
    """Every status change goes through here, so the history, timestamps and surveys stay true.

    The change is a compare-and-set on the status the caller saw: when another
    worker changed it first, nothing happens and False is returned, so that
    jobs running concurrently never close (or reopen) a ticket twice.
    """
    old = ticket.status
    if old == status:
        return False
    now = timezone.now()
    changes: dict[str, object] = {"status": status, "updated_at": now}
    if status == Status.SOLVED:
        changes["solved_at"] = now
    elif status == Status.CLOSED:
        changes["closed_at"] = now
    current = Ticket.objects.filter(pk=ticket.pk, status=old)
    if solved_before is not None:
        current = current.filter(solved_at__lt=solved_before)
    if not current.update(**changes):
        return False
    for field, value in changes.items():
        setattr(ticket, field, value)
    _event(ticket, actor, EventKind.STATUS, old=old, new=status)
    if status == Status.SOLVED:
        Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True, answered_at__isnull=True).update(
            withdrawn_at=now
        )
        Survey.objects.create(ticket=ticket)
    elif old == Status.SOLVED and status != Status.CLOSED:
        # Reopened: the survey of that resolution is withdrawn.
        Survey.objects.filter(ticket=ticket, withdrawn_at__isnull=True).update(withdrawn_at=now)
    return True


def _touch(ticket: Ticket) -> None:
    ticket.updated_at = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at)


@transaction.atomic
def ticket_reply_by_requester(
    *,
    ticket: Ticket,
    body: str,
    channel: str,
    files: Sequence[NewAttachment] = (),
    inbound_email: InboundEmail | None = None,
    author: User | None = None,
    automatic: bool = False,
) -> Message:
    """Add a reply from the requester (or from a CC, given as ``author``).

    A closed ticket gets a linked follow-up instead. An ``automatic`` reply (an
    out-of-office, an autoresponder) is recorded but changes no status and
    tells nobody: it must not reopen a solved ticket or feed a loop; the caller
    keeps such replies away from closed tickets.
    Returns the message written, whose ticket is the follow-up when one was opened.
    """
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("requester", "assignee").get(pk=ticket.pk)
    writer = author or ticket.requester
    if ticket.status == Status.CLOSED:
        follow_up = ticket_create(
            email=writer.email,
            name=writer.name,
            subject=ticket.subject,
            description=body,
            ticket_type=ticket.type,
            language=ticket.language,
            channel=channel,
            files=files,
            inbound_email=inbound_email,
            follow_up_of=ticket,
            # Never answer a robot: an autoresponder gets no confirmation.
            send_confirmation=not automatic,
        )
        return follow_up.messages.get()
    message = Message.objects.create(
        ticket=ticket,
        author=writer,
        author_role=AuthorRole.REQUESTER,
        channel=channel,
        body=body,
        inbound_email=inbound_email,
    )
    _attach(ticket, message, files)
    _event(ticket, writer, EventKind.REPLY)
    if automatic:
        _touch(ticket)
        return message
    if ticket.status in REOPENED_BY_REQUESTER:
        ticket_set_status(ticket, Status.OPEN, actor=writer)
    else:
        _touch(ticket)
    assignee = ticket.assignee
    if assignee is not None and assignee.is_agent:
        email_queue(
            kind=OutboundKind.REQUESTER_REPLIED,
            to=assignee.email,
            language=assignee.language or settings.LANGUAGE_CODE,
            ticket=ticket,
            message=message,
        )
    return message


def _set_field(ticket: Ticket, agent: User, field: str, value: str, kind: str) -> None:
    old = getattr(ticket, field)
    if old == value:
        return
    setattr(ticket, field, value)
    Ticket.objects.filter(pk=ticket.pk).update(**{field: value})
    _event(ticket, agent, kind, old=old, new=value)


@transaction.atomic
def ticket_update_by_agent(
    ticket: Ticket,
    *,
    agent: User,
    body: str = "",
    is_public: bool = True,
    files: Sequence[NewAttachment] = (),
    status: str | None = None,
    priority: str | None = None,
    ticket_type: str | None = None,
    assignee: User | _Unchanged | None = UNCHANGED,
    group: SupportGroup | _Unchanged | None = UNCHANGED,
) -> Message | None:
    """What an agent does in one submit: set fields, write a reply or a note, set the status.

    A public reply is e-mailed to the requester; solving sends the "solved"
    e-mail (with the reply, if any) and its satisfaction survey instead. An
    internal note never leaves. Returns the message written, if any.
    """
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "assignee", "group")
        .get(pk=ticket.pk)
    )
    has_message = bool(body.strip() or files)
    if ticket.status == Status.CLOSED:
        changes_fields = (
            status is not None
            or priority is not None
            or ticket_type is not None
            or not isinstance(assignee, _Unchanged)
            or not isinstance(group, _Unchanged)
        )
        if changes_fields or (has_message and is_public):
            raise TicketClosed
    if priority is not None:
        _set_field(ticket, agent, "priority", priority, EventKind.PRIORITY)
    if ticket_type is not None:
        _set_field(ticket, agent, "type", ticket_type, EventKind.TYPE)
    if not isinstance(assignee, _Unchanged) and assignee != ticket.assignee:
        old_assignee = ticket.assignee
        ticket.assignee = assignee
        Ticket.objects.filter(pk=ticket.pk).update(assignee=assignee)
        _event(
            ticket,
            agent,
            EventKind.ASSIGNEE,
            old=old_assignee.get_full_name()[:100] if old_assignee else "",
            new=assignee.get_full_name()[:100] if assignee else "",
        )
    if not isinstance(group, _Unchanged) and group != ticket.group:
        old_group = ticket.group
        ticket.group = group
        Ticket.objects.filter(pk=ticket.pk).update(group=group)
        _event(ticket, agent, EventKind.GROUP, old=old_group.name if old_group else "", new=group.name if group else "")
    message = None
    if has_message:
        message = Message.objects.create(
            ticket=ticket,
            author=agent,
            author_role=AuthorRole.AGENT,
            is_public=is_public,
            channel=Channel.WEB,
            body=body,
        )
        _attach(ticket, message, files)
        _event(ticket, agent, EventKind.REPLY if is_public else EventKind.NOTE)
    new_status = status_after_agent_action(ticket.status, status)
    solved_now = new_status == Status.SOLVED and ticket.status != Status.SOLVED
    if not ticket_set_status(ticket, new_status, actor=agent):
        _touch(ticket)
    public_message = message if message is not None and is_public else None
    requester = ticket.requester
    if solved_now:
        email_queue(
            kind=OutboundKind.TICKET_SOLVED,
            to=requester.email,
            language=ticket.language,
            ticket=ticket,
            message=public_message,
        )
    elif public_message is not None:
        email_queue(
            kind=OutboundKind.AGENT_REPLY,
            to=requester.email,
            language=ticket.language,
            ticket=ticket,
            message=public_message,
        )
    if public_message is not None:
        # People copied on the ticket read the reply too, without the requester's link.
        for cc in ticket.ccs.all():
            email_queue(
                kind=OutboundKind.AGENT_REPLY_CC,
                to=cc.email,
                language=ticket.language,
                ticket=ticket,
                message=public_message,
            )
    return message


def ticket_add_ccs(ticket: Ticket, people: Sequence[tuple[str, str]], *, actor: User | None) -> list[TicketCC]:
    """Copy people (name, address) on the ticket; the requester, our own addresses and known CCs are skipped.

    When anyone but the requester copies people, the requester gets an e-mail naming them.
    """
    known = {cc.email.lower() for cc in ticket.ccs.all()} | {ticket.requester.email.lower()}
    added: list[TicketCC] = []
    for name, address in people:
        email = normalize_email(address)
        if email.lower() in known or is_own_address(email):
            continue
        known.add(email.lower())
        cc, created = TicketCC.objects.get_or_create(
            ticket=ticket, email=email, defaults={"name": name[:200], "added_by": actor}
        )
        if created:
            _event(ticket, actor, EventKind.CC_ADDED, new=email[:100])
            added.append(cc)
    if added and actor != ticket.requester:
        # Someone else now reads the requester's conversation: the requester is told, once per change.
        email_queue(
            kind=OutboundKind.CCS_ADDED,
            to=ticket.requester.email,
            language=ticket.language,
            ticket=ticket,
        )
    return added


def ticket_remove_cc(ticket: Ticket, cc: TicketCC, *, actor: User) -> None:
    """Stop copying someone on the ticket; they can no longer write into it by e-mail."""
    TicketCC.objects.filter(pk=cc.pk, ticket=ticket).delete()
    _event(ticket, actor, EventKind.CC_REMOVED, new=cc.email[:100])


def _delivery_failure_text(recipient: str, detail: str, permanent: bool) -> str:
    values = {"address": recipient, "detail": detail or _("no reason given")}
    if permanent:
        return _("Our e-mail to %(address)s could not be delivered: %(detail)s") % values
    return _("Our e-mail to %(address)s is delayed; the mail server keeps trying: %(detail)s") % values


def ticket_record_delivery_failure(
    ticket: Ticket, *, recipient: str, detail: str, permanent: bool, inbound_email: InboundEmail | None = None
) -> Message:
    """An e-mail about the ticket did not arrive: an internal note says so, for the agents only."""
    with translation.override(ticket.language):
        body = _delivery_failure_text(recipient, detail, permanent)
    message = Message.objects.create(
        ticket=ticket,
        author=None,
        author_role=AuthorRole.SYSTEM,
        is_public=False,
        channel=Channel.EMAIL,
        body=body,
        inbound_email=inbound_email,
    )
    _event(ticket, None, EventKind.DELIVERY_FAILED, new=recipient[:100])
    return message


def ticket_take(ticket: Ticket, *, agent: User) -> None:
    """ "Assign to me"."""
    ticket_update_by_agent(ticket, agent=agent, assignee=agent)


def tickets_close_solved(*, now: datetime | None = None, batch: int = 500) -> int:
    """Close tickets solved more than COMPTOIR_AUTO_CLOSE_DAYS ago. Safe to run on many workers at once."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.COMPTOIR_AUTO_CLOSE_DAYS)
    closed = 0
    candidates = Ticket.objects.filter(status=Status.SOLVED, solved_at__lt=cutoff).order_by("solved_at")
    for ticket in candidates[:batch]:
        with transaction.atomic():
            # ticket_set_status only closes it if it is still solved: a
            # concurrent run, or a reply that just reopened it, wins.
            closed += ticket_set_status(ticket, Status.CLOSED, actor=None, solved_before=cutoff)
    return closed


@transaction.atomic
def ticket_solve_by_requester(*, ticket: Ticket, actor: User | None = None) -> bool:
    """The requester says "this is solved": the ticket is solved as if an agent had, and a survey waits.

    Only a ticket still being worked on can be solved this way; returns whether it was.
    ``actor`` is a colleague who said so in the requester's place (None: the requester).
    """
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)
    if ticket.status not in ACTIVE_STATUSES:
        return False
    return ticket_set_status(ticket, Status.SOLVED, actor=actor or ticket.requester)
