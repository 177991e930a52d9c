"""Merging duplicate tickets into one: the write, and where a merged ticket's mail and links now lead.

A merge moves the sources' conversations to the target (messages with their
attachments), copies their requesters and CCs on it, and closes each source
with a message pointing to the target. Replies to a source's e-mails, and
replies on its page, go to the target from then on (``services.merge_destination``);
its secret links still open the source, which says where the conversation went.
Both histories say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from comptoir.accounts.models import User
from comptoir.tickets.history import change_begin
from comptoir.tickets.models import Attachment, EventKind, Message, Status, Ticket, TicketCC
from comptoir.tickets.services import ticket_add_ccs, ticket_set_status, ticket_update_by_agent


class MergeRefused(Exception):
    """The merge cannot be done; ``reason`` is one of the class's constants."""

    CLOSED_TARGET = "closed_target"
    CLOSED_SOURCE = "closed_source"
    SAME_TICKET = "same_ticket"

    def __init__(self, reason: str, ticket: Ticket) -> None:
        super().__init__(f"{reason}: #{ticket.reference}")
        self.reason = reason
        self.ticket = ticket


@dataclass(frozen=True)
class MergePlan:
    """What a merge would do, for the agent to confirm before it is done."""

    sources: list[Ticket]
    target: Ticket
    # Requesters of sources who are not the target's: they will see the target's conversation.
    other_requesters: list[User]


def merge_plan(sources: Sequence[Ticket], target: Ticket) -> MergePlan:
    """Check a merge and say what it does; raises MergeRefused when it cannot be done."""
    if target.status == Status.CLOSED:
        raise MergeRefused(MergeRefused.CLOSED_TARGET, target)
    for source in sources:
        if source.pk == target.pk:
            raise MergeRefused(MergeRefused.SAME_TICKET, source)
        if source.status == Status.CLOSED:
            raise MergeRefused(MergeRefused.CLOSED_SOURCE, source)
    others = {source.requester_id: source.requester for source in sources if source.requester_id != target.requester_id}
    return MergePlan(list(sources), target, list(others.values()))


MERGED_INTO_TEXT = gettext_noop("This request was merged into request #%(reference)s.")
MERGED_FROM_TEXT = gettext_noop("Request #%(reference)s was merged into this one.")
MERGED_FROM_MANY_TEXT = gettext_noop("Requests %(references)s were merged into this one.")


def _text(language: str, message: str, reference: int) -> str:
    with translation.override(language):
        return _(message) % {"reference": reference}


def _received_text(language: str, sources: Sequence[Ticket]) -> str:
    """What the target says of the tickets merged into it: one message, however many they are."""
    if len(sources) == 1:
        return _text(language, MERGED_FROM_TEXT, sources[0].reference)
    with translation.override(language):
        return _(MERGED_FROM_MANY_TEXT) % {"references": ", ".join(f"#{source.reference}" for source in sources)}


@transaction.atomic
def tickets_merge(sources: Sequence[Ticket], target: Ticket, *, agent: User, tell_requesters: bool) -> MergePlan:
    """Merge ``sources`` into ``target``; ``tell_requesters``: the messages about it are public replies, e-mailed.

    The requesters of the sources are copied on the target (they keep
    following their request there); the target's requester is told of them as
    of anyone copied.
    """
    ids = sorted({source.pk for source in sources} | {target.pk})
    locked = {
        ticket.pk: ticket
        # Locked in one order whatever the merge, so that two merges running at once cannot deadlock.
        for ticket in Ticket.objects.select_for_update(of=("self",))
        .select_related("requester")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    target = locked[target.pk]
    plan = merge_plan([locked[source.pk] for source in sources if source.pk in locked], target)
    source_ids = [source.pk for source in plan.sources]
    # The conversation and its files: to the target, interleaved by date. The secret links stay:
    # they are the source requester's, and open the source, which says where it went; moved,
    # they would let that person speak on the target as its own requester.
    Message.objects.filter(ticket_id__in=source_ids).update(ticket=target)
    Attachment.objects.filter(ticket_id__in=source_ids).update(ticket=target)
    people = [(cc.name, cc.email) for cc in TicketCC.objects.filter(ticket_id__in=source_ids)]
    people += [(requester.name, requester.email) for requester in plan.other_requesters]
    if people:
        ticket_add_ccs(target, people, actor=agent)
    # Agents who followed a source hear of the replies where they now land.
    target.followers.add(
        *Ticket.followers.through.objects.filter(ticket_id__in=source_ids).values_list("user_id", flat=True)
    )
    Ticket.objects.filter(pk__in=source_ids).update(merged_into=target)
    # The target hears of every source in one change and one message: its requester and the people
    # copied get one e-mail, not one per ticket merged.
    receiving = change_begin(target, actor=agent)
    for source in plan.sources:
        closing = change_begin(source, actor=agent)
        closing.record(EventKind.MERGED_INTO, new=f"#{target.reference}")
        body = _text(source.language, MERGED_INTO_TEXT, target.reference)
        ticket_update_by_agent(source, agent=agent, body=body, is_public=tell_requesters, change=closing)
        source.refresh_from_db(fields=("status", "updated_at"))
        # Closed, not solved: there is nothing to rate, and a reply to it goes to the target.
        ticket_set_status(source, Status.CLOSED, actor=agent, change=closing)
        receiving.record(EventKind.MERGED_FROM, new=f"#{source.reference}")
    if plan.sources:
        body = _received_text(target.language, plan.sources)
        ticket_update_by_agent(target, agent=agent, body=body, is_public=tell_requesters, change=receiving)
    return plan
