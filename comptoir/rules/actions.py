"""What a rule does to a ticket: planned without the database, written through the ticket services only.

An action is ``{"action": ..., "value": ...}`` (a rule keeps a JSON list of them):
``set_status`` (closed too, for automations only: comptoir.rules.validation), ``set_priority``,
``set_type``, ``set_group`` and ``set_assignee`` (an id, or null for nobody), ``add_tags`` and
``remove_tags`` (typed as in the workspace: "billing vip"), ``add_note`` (an internal note),
``add_reply`` (a public reply, so an e-mail to the requester and the people
copied, as an agent's reply: ``{"fr": "...", "en": "..."}``, the text in the
ticket's language, with the placeholders of ``PLACEHOLDERS``), and two that tell people:

- ``send_email``: ``{"to": "requester"|"assignee"|"group"|"address", "address": "x@example.org"
  (with "address" only), "subject": {"fr": ..., "en": ...}, "body": {"fr": ..., "en": ...}}``, with
  the placeholders of ``PLACEHOLDERS``. Each recipient reads it in their language (the requester and
  an address: the one they chose, else the ticket's; an agent: theirs), falling back as
  ``_in_language`` does. "group": the active agents of the ticket's group.
- ``notify_agents``: ``{"to": "assignee"|"group"|"agent", "agent": <user id> (with "agent" only),
  "message": "..." (optional)}``: a notice in the workspace and by e-mail, as each agent chose
  (comptoir.notifications, NoticeKind.RULE: the rule's name and message). When the change a trigger
  runs on holds a public message from the requester, the notice is that reply's (NoticeKind.REPLY:
  the "requester replied" e-mail, with their words).

- ``set_field``: ``{"field": <a ticket field's key>, "value": ...}``, the value as the field keeps it
  (comptoir.ticketforms.predicates.value_problem; null clears it), written through the ticketforms
  service as a "field changed" event of the rule's change; a field deleted since is a RunWarning.

- ``call_webhook``: a webhook's id. The ticket's history says "webhook called", and
  comptoir.webhooks owes the webhook a ``rule.called`` delivery (the ticket as the API shows
  it, the event the rule ran on, the rule's name), sent after commit with the webhook's
  others, in order per ticket; a webhook disabled or deleted since is a RunWarning.

Neither e-mails nor notices are sent here (comptoir.rules does not know comptoir.notifications): the
rule's change records an event of the ticket (RULE_EMAIL, AGENTS_NOTIFIED) with what it says, placeholders
filled in as it fires (comptoir.tickets.models.RuleTelling: what is sent is what the rule said then, whatever it says
since), and the notifications subscriber sends it after commit, through the outbound queue's
suppressions and loop caps. Nobody to tell (no assignee, no group, a group without active agents, an
agent gone) is a RunWarning on the run; the rule's other actions go ahead. An agent no longer active
when it is sent is skipped.

``plan`` compares the actions with the ticket's facts and keeps what would
change: the dry run shows it, the engine writes it with ``plan_apply``, which
calls the services the workspace's bulk actions call (one write path per
domain action), so the ticket's history, surveys and subscribers are those of
any other change. A plan's ``changes`` (the dry run's, a RuleRun's) says what it
tells as ``"emails": [{"to": ..., "address": ... (an address only), "subject": ...}]``
(the subject in the ticket's language, as typed) and ``"notices": [{"to": ...,
"agent": ... (an agent only), "message": ... (when there is one)}]``: an e-mail
or a notice is always something to do, so a rule that sends one fires whenever
it matches (once per chain, once per automation period).

The actor. Those services take the agent who acts; a rule has none, and no
"system" user exists (comptoir.accounts). A rule writes as nobody
(``actor=None``): the history shows no person, and the
RuleRun written with the change says which rule made it. The services' type
says ``User``; at run time they only hand the agent to the history (which
takes None) and, for a note, to the message's author (null: shown as "System").
The services know a write without an actor is a rule's: a ticket a rule solves
gets the "solved" e-mail and its survey as when an agent solves it
(comptoir.notifications), a rule's note or reply leaves the status as the
rule's actions say (an agent's opens a new ticket), and a rule may close.
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from comptoir.accounts.models import Role, User
from comptoir.rules.conditions import TicketFacts
from comptoir.rules.models import RunWarning
from comptoir.ticketforms import predicates
from comptoir.ticketforms.predicates import FieldFact
from comptoir.ticketforms.services import ticket_values_set_by_rule
from comptoir.tickets.models import (
    EventKind,
    Message,
    Priority,
    RuleRecipient,
    Status,
    SupportGroup,
    Ticket,
    TicketEvent,
    TicketType,
)
from comptoir.tickets.services import (
    UNCHANGED,
    BulkOutcome,
    PropertyChanges,
    Refusal,
    RuleTold,
    ticket_rule_tell,
    ticket_webhook_called,
    tickets_submit_in_bulk,
    tickets_update_in_bulk,
)
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from comptoir.tickets.tags import tag_names
from comptoir.webhooks.models import Webhook
from comptoir.webhooks.services import webhook_call_for_rule

# action -> the fact it sets
SETTERS: Mapping[str, str] = {
    "set_status": "status",
    "set_priority": "priority",
    "set_type": "type",
    "set_group": "group_id",
    "set_assignee": "assignee_id",
}
ACTIONS = frozenset(
    {
        *SETTERS,
        "add_tags",
        "remove_tags",
        "add_note",
        "add_reply",
        "send_email",
        "notify_agents",
        "call_webhook",
        "set_field",
    }
)
# The statuses a rule sets: an agent's, and closed (automations only: comptoir.rules.validation).
RULE_STATUSES = (*AGENT_SUBMIT_STATUSES, Status.CLOSED)
NOTE_MAX_LENGTH = 5000
SUBJECT_MAX_LENGTH = 200
NOTICE_MAX_LENGTH = 1000
# Whom an e-mail goes to, and a notice.
EMAIL_TO = (RuleRecipient.REQUESTER, RuleRecipient.ASSIGNEE, RuleRecipient.GROUP, RuleRecipient.ADDRESS)
NOTIFY_TO = (RuleRecipient.ASSIGNEE, RuleRecipient.GROUP, RuleRecipient.AGENT)

# What a reply's or an e-mail's text may say of its ticket, filled in as it is written (``Filler``).
# The values are plain text: an e-mail's HTML part escapes them, as every other surface does.
PLACEHOLDERS = (
    "{requester_name}",  # their name, else their address
    "{ticket_reference}",  # #1042
    "{ticket_subject}",
    "{ticket_status}",  # in the reader's language, as the priority
    "{ticket_priority}",
    "{ticket_group}",  # empty without a group
    "{assignee_name}",  # empty without an assignee
    "{latest_message}",  # the text of the latest public message, the requester's or the team's
    # For the requester's side (a reply, an e-mail to the requester or to an address): the Help Center page
    # that e-mails them fresh links to their tickets, since a rule never mints a secret link; for agents:
    # the ticket's page in the workspace.
    "{ticket_url}",
)
# The name the reply's placeholders had first.
REPLY_PLACEHOLDERS = PLACEHOLDERS
# Anything that reads like a placeholder: the known ones are filled in, the validation names the others.
_PLACEHOLDER = re.compile(r"\{\w+\}")


class ActionUnavailable(Exception):
    """What the rule names no longer exists (a group deleted, an agent deactivated): it cannot act."""

    def __init__(self, warning: RunWarning) -> None:
        super().__init__(warning.label)
        self.warning = warning


@dataclass(frozen=True)
class Plan:
    """What a rule would change on one ticket; empty when the ticket is already as the rule wants it."""

    ticket_id: int
    # fact -> new value, for the facts set (status, priority, type, group_id, assignee_id)
    sets: Mapping[str, Any] = field(default_factory=dict)
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    note: str = ""
    # A public reply's text in the ticket's language, placeholders not filled in yet (``reply_text``).
    reply: str = ""
    # The values of its send_email and notify_agents actions, in order.
    emails: tuple[Mapping[str, Any], ...] = ()
    notices: tuple[Mapping[str, Any], ...] = ()
    # The ids of the webhooks it calls, in order.
    webhooks: tuple[int, ...] = ()
    # Ticket field key -> the value it sets (None clears it), for the values that change.
    field_sets: Mapping[str, Any] = field(default_factory=dict)
    # What it changes, as a RuleRun keeps it: {"priority": ["normal", "high"], "tags_added": [...], ...}
    changes: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.changes)

    @property
    def writes(self) -> bool:
        """Whether it changes the ticket itself, besides telling people."""
        return bool(self.sets or self.add_tags or self.remove_tags or self.note or self.reply or self.field_sets)

    def after(self, facts: TicketFacts) -> TicketFacts:
        """The facts once the plan is written: what the next rules of the same event read."""
        tags = (facts.tags | set(self.add_tags)) - set(self.remove_tags)
        fields = dict(facts.fields)
        for key, value in self.field_sets.items():
            if key in fields:
                fields[key] = FieldFact(fields[key].kind, value)
        return facts.but(**self.sets, tags=frozenset(tags), fields=fields)


_CHANGE_NAMES = {"group_id": "group", "assignee_id": "assignee"}


def plan(actions: Sequence[Mapping[str, Any]], facts: TicketFacts) -> Plan:
    """What ``actions`` would change on the ticket ``facts`` describe (the actions are valid: see ``action_errors``)."""
    sets: dict[str, Any] = {}
    add: list[str] = []
    remove: list[str] = []
    notes: list[str] = []
    reply = ""
    emails: list[Mapping[str, Any]] = []
    notices: list[Mapping[str, Any]] = []
    webhooks: list[int] = []
    field_sets: dict[str, Any] = {}
    for action in actions:
        name, value = action["action"], action.get("value", "")
        if name in SETTERS:
            sets[SETTERS[name]] = value
        elif name == "add_tags":
            add.extend(tag_names(value))
        elif name == "remove_tags":
            remove.extend(tag_names(value))
        elif name == "add_note":
            notes.append(str(value).strip())
        elif name == "add_reply":
            reply = _in_language(value, facts.language)
        elif name == "send_email":
            emails.append(value)
        elif name == "notify_agents":
            notices.append(value)
        elif name == "call_webhook":
            webhooks.append(value)
        elif name == "set_field":
            field_sets[value["field"]] = value.get("value")
    # A field deleted since (absent from the facts) stays in the plan: writing it says so (RunWarning.FIELD_GONE).
    field_sets = {
        key: value for key, value in field_sets.items() if key not in facts.fields or facts.fields[key].value != value
    }
    sets = {fact: value for fact, value in sets.items() if getattr(facts, fact) != value}
    changes: dict[str, Any] = {
        _CHANGE_NAMES.get(fact, fact): [getattr(facts, fact), value] for fact, value in sets.items()
    }
    added = tuple(dict.fromkeys(name for name in add if name not in facts.tags))
    removed = tuple(dict.fromkeys(name for name in remove if name in facts.tags))
    if added:
        changes["tags_added"] = list(added)
    if removed:
        changes["tags_removed"] = list(removed)
    note = "\n\n".join(notes)
    if note:
        changes["note"] = note
    if reply:
        changes["reply"] = reply
    if emails:
        changes["emails"] = [_email_shown(value, facts.language) for value in emails]
    if notices:
        changes["notices"] = [_notice_shown(value) for value in notices]
    if webhooks:
        changes["webhooks"] = list(dict.fromkeys(webhooks))
    for key, value in field_sets.items():
        old = facts.fields.get(key)
        changes[f"{predicates.PREFIX}{key}"] = [old.value if old is not None else None, value]
    return Plan(
        ticket_id=facts.ticket_id,
        sets=sets,
        add_tags=added,
        remove_tags=removed,
        note=note,
        reply=reply,
        emails=tuple(emails),
        notices=tuple(notices),
        webhooks=tuple(dict.fromkeys(webhooks)),
        field_sets=field_sets,
        changes=changes,
    )


def _email_shown(value: Mapping[str, Any], language: str) -> dict[str, str]:
    """An e-mail as a plan says it: to whom, and its subject in the ticket's language, as typed."""
    shown = {"to": value["to"]}
    if value["to"] == RuleRecipient.ADDRESS:
        shown["address"] = value["address"]
    shown["subject"] = _in_language(value["subject"], language)
    return shown


def _notice_shown(value: Mapping[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"to": value["to"]}
    if value["to"] == RuleRecipient.AGENT:
        shown["agent"] = value["agent"]
    message = str(value.get("message") or "").strip()
    if message:
        shown["message"] = message
    return shown


def _in_language(texts: Mapping[str, str], language: str) -> str:
    """The text in ``language``, else in the site's, else the first written."""
    for code in (language, settings.LANGUAGE_CODE, *texts):
        text = str(texts.get(code) or "").strip()
        if text:
            return text
    return ""


class Filler:
    """Fills the placeholders in, for one ticket (its requester, assignee and group loaded).

    One pass over each text: a value that reads like a placeholder (a subject "{ticket_url}") stays
    as it is. The latest public message is read once, when a text asks for it.
    """

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self._latest: str | None = None

    def fill(self, template: str, *, language: str, for_agents: bool = False) -> str:
        if "{" not in template:
            return template
        ticket = self.ticket
        with translation.override(language):
            values = {
                "{requester_name}": ticket.requester.name or ticket.requester.email,
                "{ticket_reference}": f"#{ticket.reference}",
                "{ticket_subject}": ticket.subject,
                "{ticket_status}": str(Status(ticket.status).label),
                "{ticket_priority}": str(Priority(ticket.priority).label),
                "{ticket_group}": ticket.group.name if ticket.group else "",
                "{assignee_name}": ticket.assignee.get_short_name() if ticket.assignee else "",
                "{ticket_url}": settings.COMPTOIR_BASE_URL
                + (reverse("agent_ticket", args=[ticket.reference]) if for_agents else reverse("link_request")),
            }

        def value(match: re.Match[str]) -> str:
            if match.group(0) == "{latest_message}":
                return self.latest_message()
            return values.get(match.group(0), match.group(0))

        return _PLACEHOLDER.sub(value, template)

    def latest_message(self) -> str:
        if self._latest is None:
            latest = Message.objects.filter(ticket=self.ticket, is_public=True).order_by("-created_at", "-id")
            self._latest = latest.values_list("body", flat=True).first() or ""
        return self._latest


def reply_text(template: str, ticket: Ticket) -> str:
    """A reply's text with its placeholders filled in for ``ticket``, in its language; others stay as typed."""
    return Filler(ticket).fill(template, language=ticket.language)


@dataclass(frozen=True)
class Applied:
    """What ``plan_apply`` wrote: its change (None: nothing), and what the admin should know of it."""

    change: uuid.UUID | None
    warning: RunWarning | None = None


def plan_apply(
    plan: Plan, *, rule_name: str = "", requester_message: Message | None = None, event_id: int | None = None
) -> Applied:
    """Write ``plan`` on its ticket in one change of its history; nothing when the ticket refused it.

    Call it inside a transaction (the event backbone's, for the engine). The
    services lock the ticket's row until that transaction ends, so the latest
    event recorded on it without an actor is this write's. Its e-mails and
    notices are recorded after its other actions, in the same change, so that
    they read the ticket as the rule leaves it (the assignee it just set).
    ``rule_name`` signs them; ``requester_message`` is the requester's reply in
    the change a trigger runs on, which its notices carry (module docstring).
    Its webhooks are called last (``_webhooks_call``); ``event_id`` is the event
    the rule ran on, which their payload carries (None for an automation).
    """
    change: uuid.UUID | None = None
    held: RunWarning | None = None
    if plan.writes:
        outcome, change = _writes_apply(plan)
        if (plan.ticket_id, Refusal.SOLVE_HELD) in outcome.refused:
            # "Solved" held back (fields required to solve, empty): nothing was written; the rule's
            # other actions go ahead without it, and the run says so.
            plan, held = _without_status(plan), RunWarning.SOLVE_HELD
            outcome, change = _writes_apply(plan) if plan.writes else (BulkOutcome([], [], []), None)
        if any(ticket_id == plan.ticket_id for ticket_id, _reason in outcome.refused):
            return Applied(None, RunWarning.REFUSED)
    warning: RunWarning | None = held
    if plan.field_sets:
        change, gone = _fields_apply(plan, change=change)
        warning = warning or gone
    if plan.emails or plan.notices:
        told, nobody = _told(plan, rule_name=rule_name, requester_message=requester_message)
        warning = warning or nobody
        if told:
            written = ticket_rule_tell(plan.ticket_id, told, change=change)
            if written is None:
                return Applied(None, RunWarning.REFUSED)
            change = written
    if plan.webhooks:
        change, missing = _webhooks_call(plan, change=change, rule_name=rule_name, event_id=event_id)
        warning = warning or missing
    if change is None:
        return Applied(None, warning or RunWarning.REFUSED)
    return Applied(change, warning)


def _without_status(plan: Plan) -> Plan:
    """The plan without its "set status" (the other actions, and what they change, unchanged)."""
    sets = {fact: value for fact, value in plan.sets.items() if fact != "status"}
    changes = {name: value for name, value in plan.changes.items() if name != "status"}
    return dataclasses.replace(plan, sets=sets, changes=changes)


def _fields_apply(plan: Plan, *, change: uuid.UUID | None) -> tuple[uuid.UUID | None, RunWarning | None]:
    """Set the plan's ticket fields through the ticketforms service, in the rule's change; a field gone is a warning.

    The values were checked against their fields when the rule was saved; one a field has refused since (its
    choices or its pattern changed) is not written either, with the same warning.
    """
    fields = predicates.fields_by_key(plan.field_sets)
    values = {}
    for key, value in plan.field_sets.items():
        found = fields.get(key)
        problem, kept = predicates.value_problem(found, value) if found is not None else ("", None)
        if found is not None and not problem:
            values[found] = kept
    gone = RunWarning.FIELD_GONE if len(values) < len(plan.field_sets) else None
    if values:
        change = ticket_values_set_by_rule(ticket_id=plan.ticket_id, values=values, change=change) or change
    return change, gone


def _webhooks_call(
    plan: Plan, *, change: uuid.UUID | None, rule_name: str, event_id: int | None
) -> tuple[uuid.UUID | None, RunWarning | None]:
    """Owe each webhook of the plan a delivery about the ticket (comptoir.webhooks, sent after commit).

    Each call is an event of the rule's change ("webhook called: CRM sync"); a webhook disabled or gone
    is a warning, and the others are called all the same.
    """
    missing: RunWarning | None = None
    # The history names it by what it is for, else by its host only: every agent reads the history, and a
    # webhook's full address may be its credential (a chat's incoming webhook).
    names = {
        pk: description or urlsplit(url).hostname or ""
        for pk, description, url in Webhook.objects.filter(pk__in=plan.webhooks, active=True).values_list(
            "pk", "description", "url"
        )
    }
    for webhook_id in plan.webhooks:
        if webhook_id not in names:
            missing = RunWarning.WEBHOOK_GONE
            continue
        recorded = ticket_webhook_called(plan.ticket_id, names[webhook_id], change=change)
        if recorded is None:
            return change, RunWarning.REFUSED
        change = recorded
        if (
            webhook_call_for_rule(
                webhook_id=webhook_id, ticket_id=plan.ticket_id, event_id=event_id, rule_name=rule_name
            )
            is None
        ):
            missing = RunWarning.WEBHOOK_GONE
    return change, missing


def _writes_apply(plan: Plan) -> tuple[BulkOutcome, uuid.UUID | None]:
    """The plan's fields, tags, note or reply, and status; the change written, None when nothing changed."""
    if not (plan.sets or plan.add_tags or plan.remove_tags or plan.note or plan.reply):
        return BulkOutcome([], [], []), None  # only ticket fields (``_fields_apply``)
    group: SupportGroup | object | None = UNCHANGED
    if "group_id" in plan.sets:
        group = _group(plan.sets["group_id"])
    assignee: User | object | None = UNCHANGED
    if "assignee_id" in plan.sets:
        assignee = _agent(plan.sets["assignee_id"])
    changes = PropertyChanges(
        priority=plan.sets.get("priority"),
        ticket_type=plan.sets.get("type"),
        assignee=assignee,  # type: ignore[arg-type]  # UNCHANGED, an agent or nobody
        group=group,  # type: ignore[arg-type]  # UNCHANGED, a group or none
        add_tags=plan.add_tags,
        remove_tags=plan.remove_tags,
    )
    status = plan.sets.get("status")
    note, reply = plan.note, plan.reply
    # agent=None: a rule acts as nobody (this module's docstring).
    if note or reply:
        outcome = tickets_submit_in_bulk(
            [plan.ticket_id],
            agent=None,
            body=(lambda _ticket: note) if note else (lambda ticket: reply_text(reply, ticket)),
            is_public=not note,
            changes=changes,
            status=status,
        )
    else:
        outcome = tickets_update_in_bulk(
            [plan.ticket_id],
            agent=None,
            changes=changes,
            status=status,
        )
    if plan.ticket_id not in outcome.changed:
        return outcome, None
    return outcome, (
        TicketEvent.objects.filter(ticket_id=plan.ticket_id, actor__isnull=True)
        .order_by("-id")
        .values_list("change", flat=True)
        .first()
    )


def _group(group_id: int | None) -> SupportGroup | None:
    if group_id is None:
        return None
    group = SupportGroup.objects.filter(pk=group_id).first()
    if group is None:
        raise ActionUnavailable(RunWarning.GROUP_GONE)
    return group


def _agents() -> QuerySet[User]:
    return User.objects.filter(is_active=True, role__in=(Role.AGENT, Role.ADMIN))


def _agent(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    agent = _agents().filter(pk=user_id).first()
    if agent is None:
        raise ActionUnavailable(RunWarning.AGENT_GONE)
    return agent


def _told(plan: Plan, *, rule_name: str, requester_message: Message | None) -> tuple[list[RuleTold], RunWarning | None]:
    """The plan's e-mails and notices, written out for the ticket as it is now; the first recipient missing."""
    ticket = Ticket.objects.select_related("requester", "assignee", "group").get(pk=plan.ticket_id)
    filler = Filler(ticket)
    told: list[RuleTold] = []
    missing: list[RunWarning] = []
    for value in plan.emails:
        to = value["to"]
        to_agents = to not in (RuleRecipient.REQUESTER, RuleRecipient.ADDRESS)
        if not to_agents:
            address = ticket.requester.email if to == RuleRecipient.REQUESTER else value["address"]
            agent_ids: list[int] = []
            # The requester's address stays out of the history, which outlives their erasure.
            name = "" if to == RuleRecipient.REQUESTER else address
        else:
            address = ""
            agent_ids, name, warning = _agents_to_tell(ticket, to)
            if warning is not None:
                missing.append(warning)
                continue
        texts = {
            code: {
                part: filler.fill(_in_language(value[part], code), language=code, for_agents=to_agents)
                for part in ("subject", "body")
            }
            for code, _name in settings.LANGUAGES
        }
        told.append(
            RuleTold(
                kind=EventKind.RULE_EMAIL,
                rule_name=rule_name,
                recipient=to,
                name=name,
                agent_ids=agent_ids,
                address=address,
                texts=texts,
            )
        )
    for value in plan.notices:
        agent_ids, name, warning = _agents_to_tell(ticket, value["to"], agent_id=value.get("agent"))
        if warning is not None:
            missing.append(warning)
            continue
        told.append(
            RuleTold(
                kind=EventKind.AGENTS_NOTIFIED,
                rule_name=rule_name,
                recipient=value["to"],
                name=name,
                agent_ids=agent_ids,
                note=str(value.get("message") or "").strip(),
                message=requester_message,
            )
        )
    return told, (missing[0] if missing else None)


def _agents_to_tell(
    ticket: Ticket, to: str, *, agent_id: int | None = None
) -> tuple[list[int], str, RunWarning | None]:
    """The active agents ``to`` names on ``ticket`` and their name for the history, or why there are none."""
    if to == RuleRecipient.ASSIGNEE:
        assignee = ticket.assignee
        if assignee is None or not assignee.is_agent:
            return [], "", RunWarning.NO_ASSIGNEE
        return [assignee.pk], assignee.get_full_name(), None
    if to == RuleRecipient.GROUP:
        if ticket.group is None:
            return [], "", RunWarning.NO_GROUP
        members = list(_agents().filter(support_groups=ticket.group_id).order_by("pk").values_list("pk", flat=True))
        if not members:
            return [], "", RunWarning.GROUP_EMPTY
        return members, ticket.group.name, None
    agent = _agents().filter(pk=agent_id).first() if agent_id is not None else None
    if agent is None:
        return [], "", RunWarning.TOLD_AGENT_GONE
    return [agent.pk], agent.get_full_name(), None


# --- What an admin may save ----------------------------------------------------------------------


def action_errors(actions: Any) -> list[str]:
    """Why these actions cannot be saved, in the admin's language (empty when they can)."""
    if not isinstance(actions, list) or not actions:
        return [_("A rule needs at least one action.")]
    errors: list[str] = []
    set_to: dict[str, Any] = {}
    added: set[str] = set()
    removed: set[str] = set()
    messages: set[str] = set()
    field_to: dict[str, Any] = {}
    for number, action in enumerate(actions, start=1):
        problem = _action_problem(action)
        if problem:
            errors.append(_("Action %(number)s: %(problem)s") % {"number": number, "problem": problem})
            continue
        name, value = action["action"], action.get("value")
        if name in SETTERS:
            if name in set_to and set_to[name] != value:
                errors.append(
                    _("Two actions set the %(field)s to different values (%(first)s and %(second)s).")
                    % {"field": _action_label(name), "first": _shown(set_to[name]), "second": _shown(value)}
                )
            set_to[name] = value
        elif name == "add_tags":
            added.update(tag_names(value))
        elif name == "remove_tags":
            removed.update(tag_names(value))
        elif name in ("add_note", "add_reply"):
            messages.add(name)
        elif name == "set_field":
            key, wanted = value["field"], value.get("value")
            if key in field_to and field_to[key] != wanted:
                errors.append(
                    _("Two actions set the field “%(field)s” to different values (%(first)s and %(second)s).")
                    % {"field": key, "first": _shown(field_to[key]), "second": _shown(wanted)}
                )
            field_to[key] = wanted
    if len(messages) > 1:
        errors.append(_("A rule adds either an internal note or a public reply, not both."))
    both = sorted(added & removed)
    if both:
        errors.append(_("The rule both adds and removes the tags: %(tags)s.") % {"tags": ", ".join(both)})
    return errors


def _shown(value: Any) -> str:
    return _("nobody") if value is None else str(value)


def _action_label(name: str) -> str:
    labels = {
        "set_status": _("status"),
        "set_priority": _("priority"),
        "set_type": _("type"),
        "set_group": _("group"),
        "set_assignee": _("assignee"),
    }
    return labels.get(name, name)


def _action_problem(action: Any) -> str:
    if not isinstance(action, dict) or action.get("action") not in ACTIONS:
        name = action.get("action") if isinstance(action, dict) else action
        return _("unknown action “%(action)s”.") % {"action": name}
    name, value = action["action"], action.get("value")
    choices: Mapping[str, Sequence[str]] = {
        "set_status": RULE_STATUSES,
        "set_priority": Priority.values,
        "set_type": TicketType.values,
    }
    if name in choices and value not in choices[name]:
        return _("“%(value)s” is not a %(field)s a rule can set.") % {"value": value, "field": _action_label(name)}
    naming = name in ("set_group", "set_assignee") and value is not None
    if naming and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        return _("“%(value)s” does not name a %(field)s.") % {"value": value, "field": _action_label(name)}
    if name in ("add_tags", "remove_tags") and not (isinstance(value, str) and tag_names(value)):
        return _("type at least one tag.")
    if name == "add_note":
        if not isinstance(value, str) or not value.strip():
            return _("the note is empty.")
        if len(value) > NOTE_MAX_LENGTH:
            return _("the note is longer than %(max)s characters.") % {"max": NOTE_MAX_LENGTH}
    if name == "add_reply":
        return _reply_problem(value)
    if name == "send_email":
        return _email_problem(value)
    if name == "notify_agents":
        return _notice_problem(value)
    if name == "set_field":
        # The shape; the field and the value it accepts are comptoir.rules.validation's (the database).
        if not isinstance(value, dict) or not isinstance(value.get("field"), str) or not value["field"]:
            return _("setting a field is its key and its value: %(example)s.") % {
                "example": '{"field": "order_number", "value": "CMD-123456"}'
            }
        return ""
    if name == "call_webhook" and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
        return _("“%(value)s” does not name a webhook.") % {"value": value}
    return ""


def _reply_problem(value: Any) -> str:
    languages = {code for code, _name in settings.LANGUAGES}
    if not isinstance(value, dict) or not set(value) <= languages:
        return _("a reply is its text by language: %(example)s.") % {"example": '{"fr": "…", "en": "…"}'}
    texts = list(value.values())
    if not all(isinstance(text, str) for text in texts) or not any(text.strip() for text in texts):
        return _("the reply is empty.")
    if any(len(text) > NOTE_MAX_LENGTH for text in texts):
        return _("the reply is longer than %(max)s characters.") % {"max": NOTE_MAX_LENGTH}
    return ""


def _email_problem(value: Any) -> str:
    example = '{"to": "requester", "subject": {"fr": "…", "en": "…"}, "body": {"fr": "…", "en": "…"}}'
    if not isinstance(value, dict):
        return _("an e-mail is its recipient, its subject and its text: %(example)s.") % {"example": example}
    to = value.get("to")
    if to not in EMAIL_TO:
        return _(
            "“%(to)s” is not someone an e-mail can go to (the requester, the assignee, the group or an address)."
        ) % {"to": to}
    address = value.get("address")
    if to == RuleRecipient.ADDRESS:
        if not isinstance(address, str) or not _valid_address(address):
            return _("“%(address)s” is not a valid e-mail address.") % {"address": address}
    elif address not in (None, ""):
        return _("an address is given only to e-mail that address.")
    for part, empty, too_long in (
        ("subject", _("the e-mail's subject is empty."), _("the e-mail's subject is longer than %(max)s characters.")),
        ("body", _("the e-mail's text is empty."), _("the e-mail's text is longer than %(max)s characters.")),
    ):
        if not _by_language(value.get(part)):
            return _("an e-mail's subject and text are written by language: %(example)s.") % {
                "example": '{"fr": "…", "en": "…"}'
            }
        texts: dict[str, str] = value[part]
        if not any(text.strip() for text in texts.values()):
            return empty
        longest = SUBJECT_MAX_LENGTH if part == "subject" else NOTE_MAX_LENGTH
        if any(len(text) > longest for text in texts.values()):
            return too_long % {"max": longest}
    unknown = unknown_placeholders([*value["subject"].values(), *value["body"].values()])
    if unknown:
        return _("unknown placeholders: %(unknown)s (known: %(known)s).") % {
            "unknown": ", ".join(unknown),
            "known": ", ".join(PLACEHOLDERS),
        }
    return ""


def unknown_placeholders(texts: Sequence[str]) -> list[str]:
    """What reads like a placeholder in ``texts`` but is none of ``PLACEHOLDERS``, each once, in order."""
    found = (match.group(0) for text in texts for match in _PLACEHOLDER.finditer(text))
    return list(dict.fromkeys(name for name in found if name not in PLACEHOLDERS))


def _by_language(texts: Any) -> bool:
    languages = {code for code, _name in settings.LANGUAGES}
    return isinstance(texts, dict) and set(texts) <= languages and all(isinstance(text, str) for text in texts.values())


def _valid_address(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return len(address) <= 254


def _notice_problem(value: Any) -> str:
    if not isinstance(value, dict):
        return _("a notice is whom it tells and an optional message: %(example)s.") % {
            "example": '{"to": "group", "message": "…"}'
        }
    to = value.get("to")
    if to not in NOTIFY_TO:
        return _("“%(to)s” is not someone a notice can go to (the assignee, the group or an agent).") % {"to": to}
    agent = value.get("agent")
    if to == RuleRecipient.AGENT:
        if isinstance(agent, bool) or not isinstance(agent, int) or agent <= 0:
            return _("“%(value)s” does not name an agent.") % {"value": agent}
    elif agent is not None:
        return _("an agent is named only to notify that agent.")
    message = value.get("message")
    if message is not None and not isinstance(message, str):
        return _("the notice's message is text.")
    if message and len(message) > NOTICE_MAX_LENGTH:
        return _("the notice's message is longer than %(max)s characters.") % {"max": NOTICE_MAX_LENGTH}
    return ""
