"""The one write path for tickets: every entry point (web, e-mail, API, jobs) calls these."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from comptoir.accounts.models import Role, User, normalize_email
from comptoir.accounts.services import person_get_or_create
from comptoir.events.dispatch import deliveries_drop
from comptoir.mail.addressing import is_own_address
from comptoir.mail.models import InboundEmail, OutboundEmail, OutboundStatus
from comptoir.tickets.blocks import BlockScope, block_pattern
from comptoir.tickets.files import NewAttachment
from comptoir.tickets.history import Change, ChangeBatch, change_begin, change_continue, event_record
from comptoir.tickets.models import (
    Attachment,
    AuthorRole,
    Channel,
    DeletedTicket,
    EventKind,
    Message,
    Priority,
    RuleTelling,
    SenderBlock,
    Status,
    SupportGroup,
    Survey,
    Tag,
    Ticket,
    TicketAccessToken,
    TicketCC,
    TicketType,
)
from comptoir.tickets.solve_guards import SolveHeld, solve_holds
from comptoir.tickets.statuses import (
    ACTIVE_STATUSES,
    AGENT_SUBMIT_STATUSES,
    REOPENED_BY_REQUESTER,
    status_after_agent_action,
)
from comptoir.tickets.tags import tag_name


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
    opened_by: User | None = None,
    written_by_agent: bool = False,
    confirm: bool = True,
    priority: str = Priority.NORMAL,
    assignee: User | None = None,
    time_zone: str = "",
) -> Ticket:
    """Open a ticket; ``automatic`` marks one a robot wrote (an autoresponder), which nobody answers.

    ``time_zone``: the requester's, as their browser gave it (checked by the caller), or "".

    ``opened_by``: the agent opening it for the customer (a call, a visit, a
    forwarded conversation), who may write the first message in their own name
    (``written_by_agent``), set its priority and assignee, and choose not to
    send the customer the confirmation (``confirm``).
    """
    requester = person_get_or_create(email=email, name=name)
    ticket = Ticket.objects.create(
        subject=subject.strip()[:200],
        requester=requester,
        type=ticket_type,
        priority=priority,
        assignee=assignee,
        channel=channel,
        language=language,
        time_zone=time_zone,
        status=Status.NEW,
        follow_up_of=follow_up_of,
    )
    by_agent = opened_by is not None and written_by_agent
    message = Message.objects.create(
        ticket=ticket,
        author=opened_by if by_agent else requester,
        author_role=AuthorRole.AGENT if by_agent else AuthorRole.REQUESTER,
        channel=channel,
        body=description,
        inbound_email=inbound_email,
    )
    _attach(ticket, message, files)
    created = change_begin(ticket, actor=opened_by or requester)
    created.record(EventKind.CREATED, new=Status.NEW, message=message, automatic=automatic, quiet=not confirm)
    if follow_up_of is not None:
        event_record(follow_up_of, actor=requester, kind=EventKind.FOLLOW_UP, new=f"#{ticket.reference}")
    return ticket


def _status_columns(status: str, now: datetime) -> dict[str, object]:
    """What a change to ``status`` writes on the ticket's row."""
    columns: dict[str, object] = {"status": status, "updated_at": now}
    if status == Status.SOLVED:
        columns["solved_at"] = now
    elif status == Status.CLOSED:
        columns["closed_at"] = now
    return columns


def _surveys_follow(moved: Collection[tuple[int, str]], status: str, now: datetime) -> None:
    """The surveys after tickets (id, old status) moved to ``status``.

    A resolution waits for its rating; a reopening withdraws the resolution's survey.
    """
    if status == Status.SOLVED:
        solved = [ticket_id for ticket_id, _old in moved]
        Survey.objects.filter(ticket_id__in=solved, withdrawn_at__isnull=True, answered_at__isnull=True).update(
            withdrawn_at=now
        )
        Survey.objects.bulk_create(Survey(ticket_id=ticket_id) for ticket_id in solved)
    elif status != Status.CLOSED:
        reopened = [ticket_id for ticket_id, old in moved if old == Status.SOLVED]
        if reopened:
            Survey.objects.filter(ticket_id__in=reopened, withdrawn_at__isnull=True).update(withdrawn_at=now)


# No savepoint when called inside a transaction (a reply by e-mail, a merge, an agent's update): two round
# trips each, and nothing calls it to survive its failure; a failure fails the caller's transaction.
@transaction.atomic(savepoint=False)
def ticket_set_status(
    ticket: Ticket,
    status: str,
    *,
    actor: User | None,
    change: Change | None = None,
) -> bool:
    """Every status change of one ticket goes through here, so the history, timestamps and surveys stay true.

    The change is a compare-and-set on the status the caller saw: when another
    worker changed it first, nothing happens and False is returned, so that
    jobs running concurrently never close (or reopen) a ticket twice.
    (Many tickets at once: ``tickets_update_in_bulk``, with the same columns and surveys.)
    """
    old = ticket.status
    if old == status:
        return False
    now = timezone.now()
    changes = _status_columns(status, now)
    if not Ticket.objects.filter(pk=ticket.pk, status=old).update(**changes):
        return False
    for field, value in changes.items():
        setattr(ticket, field, value)
    (change or change_begin(ticket, actor=actor)).record(EventKind.STATUS, old=old, new=status)
    _surveys_follow([(ticket.pk, old)], status, now)
    return True


def _touch(ticket: Ticket) -> None:
    ticket.updated_at = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket.updated_at)


# A chain of merges (A into B, later B into C) is followed this far, no further.
MERGE_HOPS = 10


def merge_destination(ticket: Ticket) -> Ticket:
    """The ticket that now holds ``ticket``'s conversation: itself unless it was merged (comptoir.tickets.merging)."""
    current = ticket
    for _hop in range(MERGE_HOPS):
        if current.merged_into_id is None:
            break
        current = Ticket.objects.select_related("requester", "assignee").get(pk=current.merged_into_id)
    return current


# No savepoint inside a caller's transaction (e-mail ingest): as ticket_set_status.
@transaction.atomic(savepoint=False)
def ticket_reply_by_requester(
    *,
    ticket: Ticket,
    body: str,
    channel: str,
    files: Sequence[NewAttachment] = (),
    inbound_email: InboundEmail | None = None,
    author: User | None = None,
    automatic: bool = False,
    locked: bool = False,
) -> Message:
    """Add a reply from the requester (or from a CC, given as ``author``).

    A closed ticket gets a linked follow-up instead, unless it was merged into
    one still open, which gets the reply. An ``automatic`` reply (an
    out-of-office, an autoresponder) is recorded but changes no status and
    tells nobody: it must not reopen a solved ticket or feed a loop; the caller
    keeps such replies away from closed tickets.
    Returns the message written, whose ticket is the follow-up when one was opened.
    ``locked``: the caller read ``ticket`` as this does, under SELECT ... FOR UPDATE with its
    requester and assignee, in the same transaction (e-mail threading does): not read again.
    """
    if not locked:
        ticket = (
            Ticket.objects.select_for_update(of=("self",)).select_related("requester", "assignee").get(pk=ticket.pk)
        )
    writer = author or ticket.requester
    if ticket.spam:
        # Kept on the spam ticket, changing nothing and telling nobody: no follow-up, no confirmation.
        automatic = True
    if ticket.status == Status.CLOSED and ticket.merged_into_id is not None:
        destination = merge_destination(ticket)
        if destination.status != Status.CLOSED:
            # Merged: the conversation goes on where it was moved, the writer copied there.
            return ticket_reply_by_requester(
                ticket=destination,
                body=body,
                channel=channel,
                files=files,
                inbound_email=inbound_email,
                author=writer,
                automatic=automatic,
            )
    if ticket.status == Status.CLOSED and not ticket.spam:
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
            # The same customer, as far as anyone knows on the same clock.
            time_zone=ticket.time_zone if writer.pk == ticket.requester_id else "",
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


@dataclass(frozen=True)
class PropertyChanges:
    """The fields an agent sets on one ticket or on many: None, UNCHANGED and () leave a field alone."""

    priority: str | None = None
    ticket_type: str | None = None
    assignee: User | _Unchanged | None = UNCHANGED
    group: SupportGroup | _Unchanged | None = UNCHANGED
    add_tags: Sequence[str] = ()
    remove_tags: Sequence[str] = ()

    def any(self) -> bool:
        return bool(
            self.priority is not None
            or self.ticket_type is not None
            or not isinstance(self.assignee, _Unchanged)
            or not isinstance(self.group, _Unchanged)
            or self.add_tags
            or self.remove_tags
        )


# Writes one event of the ticket's change: (ticket, kind, old value, new value).
Recorder = Callable[[Ticket, str, str, str], object]


def _properties_write(tickets: Sequence[Ticket], changes: PropertyChanges, record: Recorder) -> set[int]:
    """Set the fields on every ticket whose value differs, in one UPDATE per field; returns the ids changed.

    The one writer of these fields, for one ticket (``ticket_update_by_agent``)
    and for many (``tickets_update_in_bulk``); ``updated_at`` is the caller's.
    The tickets come with their assignee and group, locked by the caller.
    """
    changed: set[int] = set()

    def write(field: str, moving: list[Ticket], value: object, kind: str, label: Callable[[Ticket], str]) -> None:
        if not moving:
            return
        Ticket.objects.filter(pk__in=[ticket.pk for ticket in moving]).update(**{field: value})
        for ticket in moving:
            old = label(ticket)
            setattr(ticket, field, value)
            record(ticket, kind, old, label(ticket))
            changed.add(ticket.pk)

    if changes.priority is not None:
        moving = [ticket for ticket in tickets if ticket.priority != changes.priority]
        write("priority", moving, changes.priority, EventKind.PRIORITY, lambda ticket: ticket.priority)
    if changes.ticket_type is not None:
        moving = [ticket for ticket in tickets if ticket.type != changes.ticket_type]
        write("type", moving, changes.ticket_type, EventKind.TYPE, lambda ticket: ticket.type)
    if not isinstance(changes.assignee, _Unchanged):
        assignee = changes.assignee
        moving = [ticket for ticket in tickets if ticket.assignee != assignee]
        write("assignee", moving, assignee, EventKind.ASSIGNEE, _assignee_label)
    if not isinstance(changes.group, _Unchanged):
        group = changes.group
        moving = [ticket for ticket in tickets if ticket.group != group]
        write("group", moving, group, EventKind.GROUP, lambda ticket: ticket.group.name if ticket.group else "")
    changed |= _tags_write(tickets, changes.add_tags, changes.remove_tags, record)
    return changed


def _assignee_label(ticket: Ticket) -> str:
    return ticket.assignee.get_full_name() if ticket.assignee else ""


def _tag_names(typed: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(name for name in map(tag_name, typed) if name))


def _tags_write(tickets: Sequence[Ticket], add: Sequence[str], remove: Sequence[str], record: Recorder) -> set[int]:
    """Add and remove tags on every ticket, a few statements whatever their number; returns the ids changed."""
    through = Ticket.tags.through
    by_id = {ticket.pk: ticket for ticket in tickets}
    changed: set[int] = set()
    added, removed = _tag_names(add), _tag_names(remove)
    added = [name for name in added if name not in removed]
    if added and by_id:
        Tag.objects.bulk_create([Tag(name=name) for name in added], ignore_conflicts=True)
        tag_ids = dict(Tag.objects.filter(name__in=added).values_list("name", "pk"))
        held = set(
            through.objects.filter(ticket_id__in=by_id, tag_id__in=tag_ids.values()).values_list("ticket_id", "tag_id")
        )
        rows = [
            through(ticket_id=ticket_id, tag_id=tag_ids[name])
            for ticket_id in by_id
            for name in added
            if (ticket_id, tag_ids[name]) not in held
        ]
        through.objects.bulk_create(rows, ignore_conflicts=True)
        names = {pk: name for name, pk in tag_ids.items()}
        for row in rows:
            record(by_id[row.ticket_id], EventKind.TAG_ADDED, "", names[row.tag_id])
            changed.add(row.ticket_id)
    if removed and by_id:
        held_rows = list(
            through.objects.filter(ticket_id__in=by_id, tag__name__in=removed)
            .order_by("ticket_id", "tag__name")
            .values_list("pk", "ticket_id", "tag__name")
        )
        if held_rows:
            through.objects.filter(pk__in=[pk for pk, _ticket_id, _name in held_rows]).delete()
        for _pk, ticket_id, name in held_rows:
            record(by_id[ticket_id], EventKind.TAG_REMOVED, name, "")
            changed.add(ticket_id)
    return changed


def _messages_write(
    bodies: Sequence[tuple[Ticket, str]], *, agent: User | None, is_public: bool, channel: str = Channel.WEB
) -> list[Message]:
    """The agent's reply or note on each ticket, in one INSERT; returns them with their ids.

    The one writer of an agent's message, for one ticket (``ticket_update_by_agent``)
    and for many (``tickets_submit_in_bulk``). The ids come back from the INSERT
    itself (RETURNING: PostgreSQL, and SQLite since 3.35).
    """
    return Message.objects.bulk_create(
        Message(
            ticket=ticket,
            author=agent,
            author_role=AuthorRole.AGENT,
            is_public=is_public,
            channel=channel,
            body=body,
        )
        for ticket, body in bodies
    )


def ticket_follow(ticket: Ticket, agent: User, *, follow: bool) -> None:
    """The agent hears of the requester's replies on the ticket (``follow``), or no longer does.

    Following is the agent's own choice of what to hear, not a change of the
    ticket: no event, and the ticket is not touched.
    """
    if not agent.is_agent:
        raise ValueError("only agents follow tickets")
    if follow:
        ticket.followers.add(agent)
    else:
        ticket.followers.remove(agent)


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
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    change: Change | None = None,
    channel: str = Channel.WEB,
) -> Message | None:
    """What an agent does in one submit: set fields, write a reply or a note, set the status.

    It is one change of the ticket's history: subscribers see the reply and
    the status it set together (comptoir.notifications mails a reply, or the
    "solved" e-mail carrying it). Returns the message written, if any.
    (The same submit on many tickets at once: ``tickets_submit_in_bulk``.)
    ``channel``: where the agent wrote it, the workspace (web) or a program (api).
    """
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("requester", "assignee", "group")
        .get(pk=ticket.pk)
    )
    has_message = bool(body.strip() or files)
    properties = PropertyChanges(
        priority=priority,
        ticket_type=ticket_type,
        assignee=assignee,
        group=group,
        add_tags=add_tags,
        remove_tags=remove_tags,
    )
    if ticket.status == Status.CLOSED and (status is not None or properties.any() or (has_message and is_public)):
        raise TicketClosed
    new_status = status_after_agent_action(ticket.status, status)
    if new_status == Status.SOLVED and ticket.status != Status.SOLVED:
        # Before anything is written: what holds it back (fields required to solve) refuses the whole submit.
        held = solve_holds([ticket])
        if ticket.pk in held:
            raise SolveHeld(held[ticket.pk])
    # A caller's ``change`` (a merge) holds this submit's events with its own.
    change = change or change_begin(ticket, actor=agent)
    _properties_write([ticket], properties, lambda _ticket, kind, old, new: change.record(kind, old=old, new=new))
    message = None
    if has_message:
        [message] = _messages_write([(ticket, body)], agent=agent, is_public=is_public, channel=channel)
        _attach(ticket, message, files)
        change.record(EventKind.REPLY if is_public else EventKind.NOTE, message=message)
    if not ticket_set_status(ticket, new_status, actor=agent, change=change):
        _touch(ticket)
    return message


class Refusal:
    """Why a bulk action left a ticket as it was."""

    CLOSED = "closed"
    MISSING = "missing"
    # Closed too, but saying so tells the agent more.
    MERGED = "merged"
    SPAM = "spam"
    # Asked to be solved, and held back (comptoir.tickets.solve_guards: fields required to solve left empty).
    SOLVE_HELD = "solve_held"


@dataclass(frozen=True)
class BulkOutcome:
    # Ticket ids changed, and those the action already described (nothing to do).
    changed: list[int]
    unchanged: list[int]
    # (ticket id, Refusal): the rest of the action went ahead without them.
    refused: list[tuple[int, str]]


def _locked_for_bulk(ticket_ids: Collection[int], *related: str) -> tuple[list[Ticket], list[tuple[int, str]]]:
    """The tickets of a bulk action, locked in id order, and those that no longer exist (Refusal.MISSING)."""
    tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk__in=list(ticket_ids))
        .order_by("pk")
    )
    found = {ticket.pk for ticket in tickets}
    return tickets, [(ticket_id, Refusal.MISSING) for ticket_id in dict.fromkeys(ticket_ids) if ticket_id not in found]


def _statuses_write(tickets: Sequence[Ticket], status: str, now: datetime, record: Recorder) -> None:
    """Move the tickets to ``status`` in one UPDATE, with their events and surveys (``ticket_set_status`` for many)."""
    Ticket.objects.filter(pk__in=[ticket.pk for ticket in tickets]).update(**_status_columns(status, now))
    for ticket in tickets:
        record(ticket, EventKind.STATUS, ticket.status, status)
    _surveys_follow([(ticket.pk, ticket.status) for ticket in tickets], status, now)


def _status_check(status: str | None, *, agent: User | None) -> None:
    """An agent submits as open, pending, on hold or solved; a business rule (``agent`` None) may also close.

    Closed is reached by time, and an automation is a rule on time (the default "Close tickets solved for
    N days", comptoir.rules.defaults): comptoir.rules.validation keeps closing to automations. The columns
    and history are those of any status.
    """
    if status is None or status in AGENT_SUBMIT_STATUSES or (agent is None and status == Status.CLOSED):
        return
    raise ValueError(f"agents cannot set the status {status!r}")


@transaction.atomic
def tickets_update_in_bulk(
    ticket_ids: Collection[int], *, agent: User | None, changes: PropertyChanges, status: str | None = None
) -> BulkOutcome:
    """What an agent sets on many tickets at once: the fields, the tags, a status.

    ``agent`` None: nobody's act, a business rule's (comptoir.rules), recorded without an actor; a rule
    may also close (``_status_check``).

    The same writers as one ticket's submit (``_properties_write``, the status
    columns and surveys of ``ticket_set_status``), so each ticket's history,
    e-mails (the "solved" e-mail and its survey) and subscribers are those of
    a change made on its page; each ticket gets its own change. A closed
    ticket is refused and the others go ahead. The statements are batched:
    their number does not grow with the number of tickets.
    Unlike a submit on the ticket page, the action does not open new tickets:
    tagging twenty tickets is not working on them.
    """
    _status_check(status, agent=agent)
    tickets, refused = _locked_for_bulk(ticket_ids, "assignee", "group")
    refused += [(ticket.pk, Refusal.CLOSED) for ticket in tickets if ticket.status == Status.CLOSED]
    workable = _solvable([ticket for ticket in tickets if ticket.status != Status.CLOSED], status, refused)
    batch = ChangeBatch(actor=agent)

    def record(ticket: Ticket, kind: str, old: str, new: str) -> None:
        batch.record(ticket.pk, kind, old=old, new=new)

    changed = _properties_write(workable, changes, record)
    now = timezone.now()
    moving = [ticket for ticket in workable if status is not None and ticket.status != status]
    if status is not None and moving:
        _statuses_write(moving, status, now, record)
        changed |= {ticket.pk for ticket in moving}
    touched = changed - {ticket.pk for ticket in moving}
    if touched:
        Ticket.objects.filter(pk__in=touched).update(updated_at=now)
    batch.write()
    return BulkOutcome(
        changed=[ticket.pk for ticket in workable if ticket.pk in changed],
        unchanged=[ticket.pk for ticket in workable if ticket.pk not in changed],
        refused=refused,
    )


def _solvable(tickets: list[Ticket], status: str | None, refused: list[tuple[int, str]]) -> list[Ticket]:
    """The tickets a bulk action may go ahead on: those it solves that a guard holds back are added to ``refused``.

    Asked once for all the tickets (comptoir.tickets.solve_guards); each held ticket is left as it was,
    its other changes too, as a submit on its page would be.
    """
    if status != Status.SOLVED:
        return tickets
    held = solve_holds([ticket for ticket in tickets if ticket.status != Status.SOLVED])
    refused += [(ticket.pk, Refusal.SOLVE_HELD) for ticket in tickets if ticket.pk in held]
    return [ticket for ticket in tickets if ticket.pk not in held]


def _submit_refusal(ticket: Ticket) -> str | None:
    """Why an agent's submit cannot be made on the ticket, if it cannot: its page offers only notes then."""
    if ticket.merged_into_id is not None:
        return Refusal.MERGED
    if ticket.spam:
        return Refusal.SPAM
    if ticket.status == Status.CLOSED:
        return Refusal.CLOSED
    return None


@transaction.atomic
def tickets_submit_in_bulk(
    ticket_ids: Collection[int],
    *,
    agent: User | None,
    body: Callable[[Ticket], str],
    is_public: bool,
    changes: PropertyChanges,
    status: str | None = None,
) -> BulkOutcome:
    """One agent's submit on many tickets: on each, what ``ticket_update_by_agent`` writes, batched.

    Each ticket gets the fields and tags, the message ``body`` writes for it (a
    public reply or an internal note), the status (the one chosen, else new
    becomes open: as on its page, replying is working on it) and one change of
    its history holding them all: its subscribers send the same e-mails as for
    a submit on its page (the reply, or the "solved" e-mail carrying it). The
    same writers as that submit (``_properties_write``, ``_messages_write``,
    the status columns and surveys). Tickets merged, marked as spam or closed
    are refused, and the others go ahead.

    ``agent`` None: a business rule's submit (comptoir.rules), recorded without
    an actor; the status is then only the one chosen (a rule's note or reply
    does not open a new ticket), closed included (``_status_check``).

    The statements are batched: their number does not grow with the number of
    tickets (the e-mails are queued after commit, by the notifications
    subscriber, one change at a time, as for any submit).
    """
    _status_check(status, agent=agent)
    tickets, refused = _locked_for_bulk(ticket_ids, "requester", "assignee", "group")
    workable: list[Ticket] = []
    for ticket in tickets:
        reason = _submit_refusal(ticket)
        if reason is None:
            workable.append(ticket)
        else:
            refused.append((ticket.pk, reason))
    workable = _solvable(workable, status, refused)
    batch = ChangeBatch(actor=agent)

    def record(ticket: Ticket, kind: str, old: str, new: str) -> None:
        batch.record(ticket.pk, kind, old=old, new=new)

    _properties_write(workable, changes, record)
    texts = [(ticket, body(ticket)) for ticket in workable]
    for message in _messages_write(
        [(ticket, text) for ticket, text in texts if text.strip()], agent=agent, is_public=is_public
    ):
        batch.record(message.ticket_id, EventKind.REPLY if is_public else EventKind.NOTE, message=message)
    now = timezone.now()
    moving: dict[str, list[Ticket]] = {}
    staying: list[int] = []
    for ticket in workable:
        # A person's message opens a new ticket (working on it); a business rule's (``agent`` None)
        # leaves the status as its actions say: a note it adds is not someone picking the ticket up.
        new_status = status_after_agent_action(ticket.status, status) if agent is not None else status or ticket.status
        if new_status == ticket.status:
            staying.append(ticket.pk)
        else:
            moving.setdefault(new_status, []).append(ticket)
    # One UPDATE per status reached (the one chosen, or open), whatever the number of tickets.
    for new_status, moved in moving.items():
        _statuses_write(moved, new_status, now, record)
    if staying:
        # A submit always tells the ticket was worked on (``_touch``).
        Ticket.objects.filter(pk__in=staying).update(updated_at=now)
    batch.write()
    return BulkOutcome(changed=[ticket.pk for ticket in workable], unchanged=[], refused=refused)


@dataclass(frozen=True)
class RuleTold:
    """One e-mail or one notice to agents a business rule sends about a ticket (comptoir.rules.actions)."""

    kind: str  # EventKind.RULE_EMAIL or EventKind.AGENTS_NOTIFIED
    rule_name: str
    recipient: str  # RuleRecipient
    # Who, as the history shows it: the address, the agent's or the group's name ("" for the requester).
    name: str = ""
    agent_ids: Sequence[int] = ()
    address: str = ""
    # An e-mail's subject and text by language, placeholders filled in: {"fr": {"subject": ..., "body": ...}}.
    texts: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)
    note: str = ""
    # A notice's: the requester's reply the rule ran on, which the agents are told of (comptoir.notifications).
    message: Message | None = None


@transaction.atomic
def ticket_rule_tell(ticket_id: int, told: Sequence[RuleTold], *, change: uuid.UUID | None = None) -> uuid.UUID | None:
    """Record a business rule's e-mails and notices as events of the ticket; returns their change, None if refused.

    ``change``: the change the rule's other actions just wrote in this transaction, which these join (a
    rule's firing is one change of the history); None starts one, on a ticket neither merged, spam nor
    closed. Nothing is sent here: the notifications subscriber reads each event's RuleTelling after
    commit and queues the e-mails and notices (the outbound queue's suppressions and loop caps apply).
    """
    if change is None:
        ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)
        if _submit_refusal(ticket) is not None:
            return None
        recorder = change_begin(ticket, actor=None)
    else:
        recorder = change_continue(ticket_id, change, actor=None)
    for item in told:
        event = recorder.record(item.kind, old=item.recipient, new=item.name, message=item.message)
        RuleTelling.objects.create(
            event=event,
            rule_name=item.rule_name[:120],
            agent_ids=list(item.agent_ids),
            address=item.address,
            texts={language: dict(texts) for language, texts in item.texts.items()},
            note=item.note,
        )
    return recorder.id


@transaction.atomic
def ticket_webhook_called(ticket_id: int, webhook: str, *, change: uuid.UUID | None = None) -> uuid.UUID | None:
    """Record that a business rule called a webhook (named ``webhook``); returns the change, None if refused.

    ``change`` as for ``ticket_rule_tell``: the rule's other actions' change, which this joins. What is
    sent, and when, is comptoir.webhooks' (a delivery written in the same transaction, sent after commit).
    """
    if change is None:
        ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)
        if _submit_refusal(ticket) is not None:
            return None
        recorder = change_begin(ticket, actor=None)
    else:
        recorder = change_continue(ticket_id, change, actor=None)
    recorder.record(EventKind.WEBHOOK_CALLED, new=webhook[:100])
    return recorder.id


@transaction.atomic
def tickets_mark_spam_in_bulk(ticket_ids: Collection[int], *, agent: User) -> BulkOutcome:
    """``ticket_mark_spam`` for many tickets (blocking no one): a few statements whatever their number."""
    tickets, refused = _locked_for_bulk(ticket_ids)
    batch = ChangeBatch(actor=agent)
    marking = [ticket for ticket in tickets if not ticket.spam]
    closing = [ticket for ticket in tickets if ticket.status != Status.CLOSED]
    now = timezone.now()
    if marking:
        Ticket.objects.filter(pk__in=[ticket.pk for ticket in marking]).update(spam=True, updated_at=now)
        for ticket in marking:
            batch.record(ticket.pk, EventKind.SPAM)
    if closing:
        Ticket.objects.filter(pk__in=[ticket.pk for ticket in closing]).update(**_status_columns(Status.CLOSED, now))
        for ticket in closing:
            batch.record(ticket.pk, EventKind.STATUS, old=ticket.status, new=Status.CLOSED)
    batch.write()
    changed = {ticket.pk for ticket in marking} | {ticket.pk for ticket in closing}
    return BulkOutcome(
        changed=[ticket.pk for ticket in tickets if ticket.pk in changed],
        unchanged=[ticket.pk for ticket in tickets if ticket.pk not in changed],
        refused=refused,
    )


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
def ticket_change_requester(ticket: Ticket, *, email: str, name: str, actor: User) -> bool:
    """Give the ticket to another person (found or created by address); False when it is already theirs.

    The former requester's secret links stop opening it, and so do the browsers
    that followed one (comptoir.tickets.access ties a grant to the requester);
    the new requester is no longer a CC. Nobody is e-mailed: the agent tells
    the new requester with the next public reply.
    """
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)
    person = person_get_or_create(email=email, name=name)
    if person.pk == ticket.requester_id:
        return False
    old = ticket.requester.email
    ticket.requester = person
    Ticket.objects.filter(pk=ticket.pk).update(requester=person, updated_at=timezone.now())
    TicketAccessToken.objects.filter(ticket=ticket).delete()
    # Not yet sent to the former requester: held back, for they would carry a new link to the ticket.
    OutboundEmail.objects.filter(ticket=ticket, to_address__iexact=old, status=OutboundStatus.QUEUED).update(
        status=OutboundStatus.SUPPRESSED, last_error="the ticket was given to another requester before it left"
    )
    TicketCC.objects.filter(ticket=ticket, email__iexact=person.email).delete()
    change_begin(ticket, actor=actor).record(EventKind.REQUESTER_CHANGED, old=old, new=person.email)
    return True


@transaction.atomic
def ticket_mark_spam(ticket: Ticket, *, agent: User, block: BlockScope = BlockScope.NONE) -> SenderBlock | None:
    """Close the ticket as spam, out of every view but "Spam"; optionally block its sender for new tickets.

    Nothing is suppressed: the sender's other tickets, and replies on them, go on
    as before. Nobody is e-mailed. Returns the block made (or found), if any.
    """
    # One write path for spam, one ticket or many: this one's change is that of a bulk action of one.
    tickets_mark_spam_in_bulk([ticket.pk], agent=agent)
    pattern = block_pattern(ticket.requester.email, block)
    if not pattern:
        return None
    blocked, _created = SenderBlock.objects.get_or_create(
        pattern=pattern, defaults={"created_by": agent, "reason": f"#{ticket.reference}"}
    )
    return blocked


@transaction.atomic
def ticket_delete(ticket: Ticket, *, admin: User) -> DeletedTicket:
    """Delete the ticket and everything on it, for good; a row records that it was, and who deleted it.

    Admins only (the caller checks). Its attachment files go with the
    periodic purge of files no row names (comptoir.tickets.orphan_files);
    what subscribers were still owed about it is dropped.
    """
    if admin.role != Role.ADMIN:
        raise PermissionError("only admins delete tickets")
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)
    record = DeletedTicket.objects.create(
        reference=ticket.reference,
        subject=ticket.subject,
        requester_email=ticket.requester.email,
        message_count=Message.objects.filter(ticket=ticket).count(),
        deleted_by=admin,
    )
    deliveries_drop(ticket.pk)
    ticket.delete()
    return record


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
