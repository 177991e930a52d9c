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
from comptoir.accounts.services import person_get_or_create
from comptoir.mail.addressing import is_own_address
from comptoir.mail.models import InboundEmail
from comptoir.tickets.files import NewAttachment
from comptoir.tickets.history import Change, change_begin, event_record
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
    TicketType,
)
from comptoir.tickets.statuses import ACTIVE_STATUSES, REOPENED_BY_REQUESTER, status_after_agent_action


class _Unchanged:
    """Marks a field the caller leaves as it is (None means "nobody" for the assignee)."""


UNCHANGED: Final = _Unchanged()


class TicketClosed(Exception):
    """A closed ticket is final: only internal notes may still be added."""


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
    automatic: bool = False,
) -> Ticket:
    """Open a ticket; ``automatic`` marks one a robot wrote (an autoresponder), which nobody answers."""
    requester = person_get_or_create(email=email, name=name)
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
    created = change_begin(ticket, actor=requester)
    created.record(EventKind.CREATED, new=Status.NEW, message=message, automatic=automatic)
    if follow_up_of is not None:
        event_record(follow_up_of, actor=requester, kind=EventKind.FOLLOW_UP, new=f"#{ticket.reference}")
    return ticket


@transaction.atomic
def ticket_set_status(
    ticket: Ticket,
    status: str,
    *,
    actor: User | None,
    solved_before: datetime | None = None,
    change: Change | None = None,
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
    (change or change_begin(ticket, actor=actor)).record(EventKind.STATUS, old=old, new=status)
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
            automatic=automatic,
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
    change = change_begin(ticket, actor=writer)
    change.record(EventKind.REPLY, message=message, automatic=automatic)
    if automatic:
        _touch(ticket)
        return message
    if ticket.status in REOPENED_BY_REQUESTER:
        ticket_set_status(ticket, Status.OPEN, actor=writer, change=change)
    else:
        _touch(ticket)
    return message


def _set_field(ticket: Ticket, change: Change, field: str, value: str, kind: str) -> None:
    old = getattr(ticket, field)
    if old == value:
        return
    setattr(ticket, field, value)
    Ticket.objects.filter(pk=ticket.pk).update(**{field: value})
    change.record(kind, old=old, new=value)


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

    It is one change of the ticket's history: subscribers see the reply and
    the status it set together (comptoir.notifications mails a reply, or the
    "solved" e-mail carrying it). Returns the message written, if any.
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
    change = change_begin(ticket, actor=agent)
    if priority is not None:
        _set_field(ticket, change, "priority", priority, EventKind.PRIORITY)
    if ticket_type is not None:
        _set_field(ticket, change, "type", ticket_type, EventKind.TYPE)
    if not isinstance(assignee, _Unchanged) and assignee != ticket.assignee:
        old_assignee = ticket.assignee
        ticket.assignee = assignee
        Ticket.objects.filter(pk=ticket.pk).update(assignee=assignee)
        change.record(
            EventKind.ASSIGNEE,
            old=old_assignee.get_full_name() if old_assignee else "",
            new=assignee.get_full_name() if assignee else "",
        )
    if not isinstance(group, _Unchanged) and group != ticket.group:
        old_group = ticket.group
        ticket.group = group
        Ticket.objects.filter(pk=ticket.pk).update(group=group)
        change.record(EventKind.GROUP, old=old_group.name if old_group else "", new=group.name if group else "")
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
        change.record(EventKind.REPLY if is_public else EventKind.NOTE, message=message)
    new_status = status_after_agent_action(ticket.status, status)
    if not ticket_set_status(ticket, new_status, actor=agent, change=change):
        _touch(ticket)
    return message


@transaction.atomic
def ticket_add_ccs(ticket: Ticket, people: Sequence[tuple[str, str]], *, actor: User | None) -> list[TicketCC]:
    """Copy people (name, address) on the ticket; the requester, our own addresses and known CCs are skipped.

    The requester is told of the people copied, whoever copies them (comptoir.notifications).
    """
    change = change_begin(ticket, actor=actor)
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
            change.record(EventKind.CC_ADDED, new=email)
            added.append(cc)
    return added


@transaction.atomic
def ticket_remove_cc(ticket: Ticket, cc: TicketCC, *, actor: User) -> None:
    """Stop copying someone on the ticket; they can no longer write into it by e-mail."""
    TicketCC.objects.filter(pk=cc.pk, ticket=ticket).delete()
    event_record(ticket, actor=actor, kind=EventKind.CC_REMOVED, new=cc.email)


def _delivery_failure_text(recipient: str, detail: str, permanent: bool) -> str:
    values = {"address": recipient, "detail": detail or _("no reason given")}
    if permanent:
        return _("Our e-mail to %(address)s could not be delivered: %(detail)s") % values
    return _("Our e-mail to %(address)s is delayed; the mail server keeps trying: %(detail)s") % values


def _system_note(ticket: Ticket, *, body: str, inbound_email: InboundEmail | None) -> Message:
    """An internal note written by Comptoir about an e-mail: agents read it, nobody else."""
    return Message.objects.create(
        ticket=ticket,
        author=None,
        author_role=AuthorRole.SYSTEM,
        is_public=False,
        channel=Channel.EMAIL,
        body=body,
        inbound_email=inbound_email,
    )


@transaction.atomic
def ticket_note_from_email(
    ticket: Ticket, *, body: str, inbound_email: InboundEmail, files: Sequence[NewAttachment] = ()
) -> Message:
    """Keep an e-mail on the ticket as an internal note, for the agents to judge.

    For mail that may not speak on the ticket (a sender nobody vouches for, a
    robot copied on it): nobody is told, the status stays, closed tickets included.
    """
    message = _system_note(ticket, body=body, inbound_email=inbound_email)
    _attach(ticket, message, files)
    change_begin(ticket, actor=None).record(EventKind.NOTE, message=message)
    return message


@transaction.atomic
def ticket_record_delivery_failure(
    ticket: Ticket, *, recipient: str, detail: str, permanent: bool, inbound_email: InboundEmail | None = None
) -> Message:
    """An e-mail about the ticket did not arrive: an internal note says so, for the agents only."""
    with translation.override(ticket.language):
        body = _delivery_failure_text(recipient, detail, permanent)
    message = _system_note(ticket, body=body, inbound_email=inbound_email)
    change_begin(ticket, actor=None).record(EventKind.DELIVERY_FAILED, new=recipient, message=message)
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
