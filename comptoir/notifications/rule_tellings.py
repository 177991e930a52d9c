"""What business rules tell people (comptoir.rules.actions: send_email, notify_agents), sent after commit.

A rule that fires records, in its change, a RULE_EMAIL or AGENTS_NOTIFIED event
with its RuleTelling: whom to tell, and what, as the rule said it then. This
subscriber queues the e-mails (written now, in each recipient's language, through
comptoir.accounts.mailing: the person's choices, the suppressions and loop caps
of the queue apply) and writes the agents' notices as each agent chose. An agent
no longer active is skipped. The texts, which hold the requester's words, are
then forgotten: the queue keeps its own copy until the e-mail leaves.

A notice carrying the requester's reply (the rule ran on it) is that reply's:
NoticeKind.REPLY and the "requester replied" e-mail with their words, under the
agent's REPLY choice; any other is NoticeKind.RULE, with the rule's name and words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet

from comptoir.accounts.mailing import person_email_queue
from comptoir.accounts.models import Role, User
from comptoir.events.registry import subscribe
from comptoir.mail.models import OutboundKind
from comptoir.mail.outbound import WrittenEmail
from comptoir.notifications.models import AgentNotice, NoticeKind
from comptoir.notifications.preferences import choices_for
from comptoir.tickets.emails import rule_email_write, rule_notice_write
from comptoir.tickets.models import AuthorRole, EventKind, Message, RuleTelling, Ticket, TicketEvent

RULE_TELLING_KINDS = frozenset({EventKind.RULE_EMAIL, EventKind.AGENTS_NOTIFIED})


@subscribe("rule_tellings", kinds=RULE_TELLING_KINDS)
def rule_tellings_send(change: UUID) -> None:
    # The dispatcher runs this in the transaction that marks the change done: a retry queues nothing twice.
    events = list(
        TicketEvent.objects.filter(change=change, kind__in=RULE_TELLING_KINDS)
        .select_related("ticket", "message", "rule_telling")
        .order_by("id")
    )
    sent: list[int] = []
    for event in events:
        try:
            telling = event.rule_telling
        except ObjectDoesNotExist:
            continue  # recorded without what it says: nothing to send
        agents = _agents().in_bulk(list(telling.agent_ids))
        # In the rule's order, without those no longer active agents.
        people = [agents[pk] for pk in telling.agent_ids if pk in agents]
        if event.kind == EventKind.RULE_EMAIL:
            _emails_queue(event.ticket, telling, people)
        else:
            _notices_write(event.ticket, telling, people, reply=_requester_reply(event.message))
        sent.append(telling.pk)
    if sent:
        RuleTelling.objects.filter(pk__in=sent).update(texts={})


def _agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.ADMIN))


def _requester_reply(message: Message | None) -> Message | None:
    if message is not None and message.is_public and message.author_role == AuthorRole.REQUESTER:
        return message
    return None


def _in(texts: Mapping[str, Mapping[str, str]], language: str) -> Mapping[str, str]:
    """The texts in ``language``, else in the site's, else any (a rule writes every language the site has)."""
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()), {})


def _emails_queue(ticket: Ticket, telling: RuleTelling, agents: Sequence[User]) -> None:
    texts = telling.texts
    if not texts:
        return

    def written(*, to_agent: bool) -> Callable[[str], WrittenEmail]:
        def write(language: str) -> WrittenEmail:
            chosen = _in(texts, language)
            return rule_email_write(
                ticket, subject=chosen["subject"], body=chosen["body"], language=language, to_agent=to_agent
            )

        return write

    if telling.address:
        # The requester or the address the rule names: in the language they chose, else the ticket's.
        person_email_queue(
            kind=OutboundKind.RULE_EMAIL,
            to=telling.address,
            language=ticket.language,
            ticket_id=ticket.pk,
            write=written(to_agent=False),
        )
    for agent in agents:
        person_email_queue(
            kind=OutboundKind.RULE_EMAIL_AGENT,
            to=agent.email,
            language=agent.language or settings.LANGUAGE_CODE,
            ticket_id=ticket.pk,
            write=written(to_agent=True),
        )


def _notices_write(ticket: Ticket, telling: RuleTelling, agents: Sequence[User], *, reply: Message | None) -> None:
    kind = NoticeKind.REPLY if reply is not None else NoticeKind.RULE
    if reply is not None:
        # The agents following the ticket hear of the reply as followers (comptoir.notifications.subscriber):
        # once, whether or not a rule names them too.
        following = set(ticket.followers.values_list("pk", flat=True))
        agents = [agent for agent in agents if agent.pk not in following]
    choices = choices_for([agent.pk for agent in agents])
    AgentNotice.objects.bulk_create(
        AgentNotice(
            recipient=agent,
            ticket=ticket,
            kind=kind,
            rule_name="" if reply is not None else telling.rule_name,
            note="" if reply is not None else telling.note,
        )
        for agent in agents
        if choices[(agent.pk, kind)][0]
    )
    for agent in agents:
        if not choices[(agent.pk, kind)][1]:
            continue
        language = agent.language or settings.LANGUAGE_CODE
        if reply is not None:
            # The e-mail the assignee gets of a requester's reply, with their words.
            person_email_queue(
                kind=OutboundKind.REQUESTER_REPLIED,
                to=agent.email,
                language=language,
                ticket_id=ticket.pk,
                message_id=reply.pk,
            )
            continue
        person_email_queue(
            kind=OutboundKind.AGENT_RULE_NOTICE,
            to=agent.email,
            language=language,
            ticket_id=ticket.pk,
            write=lambda chosen: rule_notice_write(
                ticket, rule_name=telling.rule_name, note=telling.note, language=chosen
            ),
        )
