"""What a rule does to a ticket: planned without the database, written through the ticket services only.

An action is ``{"action": ..., "value": ...}`` (a rule keeps a JSON list of them):
``set_status``, ``set_priority``, ``set_type``, ``set_group`` and
``set_assignee`` (an id, or null for nobody), ``add_tags`` and ``remove_tags``
(typed as in the workspace: "billing vip"), ``add_note`` (an internal note),
``add_reply`` (a public reply, so an e-mail to the requester and the people
copied, as an agent's reply: ``{"fr": "...", "en": "..."}``, the text in the
ticket's language, with the placeholders of ``REPLY_PLACEHOLDERS``).

``plan`` compares the actions with the ticket's facts and keeps what would
change: the dry run shows it, the engine writes it with ``plan_apply``, which
calls the services the workspace's bulk actions call (one write path per
domain action), so the ticket's history, surveys and subscribers are those of
any other change.

The actor. Those services take the agent who acts; a rule has none, and no
"system" user exists (comptoir.accounts). A rule writes as nobody, as the
auto-close job does (``actor=None``): the history shows no person, and the
RuleRun written with the change says which rule made it. The services' type
says ``User``; at run time they only hand the agent to the history (which
takes None) and, for a note, to the message's author (null: shown as "System").
The services know a write without an actor is a rule's: a ticket a rule solves
gets the "solved" e-mail and its survey as when an agent solves it
(comptoir.notifications), and a rule's note or reply leaves the status as the
rule's actions say (an agent's opens a new ticket).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from comptoir.accounts.models import Role, User
from comptoir.rules.conditions import TicketFacts
from comptoir.rules.models import RunWarning
from comptoir.tickets.models import Priority, SupportGroup, Ticket, TicketEvent, TicketType
from comptoir.tickets.services import (
    UNCHANGED,
    PropertyChanges,
    tickets_submit_in_bulk,
    tickets_update_in_bulk,
)
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from comptoir.tickets.tags import tag_names

# action -> the fact it sets
SETTERS: Mapping[str, str] = {
    "set_status": "status",
    "set_priority": "priority",
    "set_type": "type",
    "set_group": "group_id",
    "set_assignee": "assignee_id",
}
ACTIONS = frozenset({*SETTERS, "add_tags", "remove_tags", "add_note", "add_reply"})
NOTE_MAX_LENGTH = 5000
# What a reply's text may say of its ticket, filled in as it is written.
REPLY_PLACEHOLDERS = ("{requester_name}", "{ticket_reference}", "{ticket_subject}")


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
    # What it changes, as a RuleRun keeps it: {"priority": ["normal", "high"], "tags_added": [...], ...}
    changes: Mapping[str, Any] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def after(self, facts: TicketFacts) -> TicketFacts:
        """The facts once the plan is written: what the next rules of the same event read."""
        tags = (facts.tags | set(self.add_tags)) - set(self.remove_tags)
        return facts.but(**self.sets, tags=frozenset(tags))


_CHANGE_NAMES = {"group_id": "group", "assignee_id": "assignee"}


def plan(actions: Sequence[Mapping[str, Any]], facts: TicketFacts) -> Plan:
    """What ``actions`` would change on the ticket ``facts`` describe (the actions are valid: see ``action_errors``)."""
    sets: dict[str, Any] = {}
    add: list[str] = []
    remove: list[str] = []
    notes: list[str] = []
    reply = ""
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
    return Plan(
        ticket_id=facts.ticket_id,
        sets=sets,
        add_tags=added,
        remove_tags=removed,
        note=note,
        reply=reply,
        changes=changes,
    )


def _in_language(texts: Mapping[str, str], language: str) -> str:
    """The text in ``language``, else in the site's, else the first written."""
    for code in (language, settings.LANGUAGE_CODE, *texts):
        text = str(texts.get(code) or "").strip()
        if text:
            return text
    return ""


def reply_text(template: str, ticket: Ticket) -> str:
    """A reply's text with its placeholders filled in for ``ticket`` (its requester loaded); others stay as typed."""
    values = {
        "{requester_name}": ticket.requester.name or ticket.requester.email,
        "{ticket_reference}": f"#{ticket.reference}",
        "{ticket_subject}": ticket.subject,
    }
    for placeholder, value in values.items():
        template = template.replace(placeholder, value)
    return template


def plan_apply(plan: Plan) -> uuid.UUID | None:
    """Write ``plan`` on its ticket in one change of its history; returns the change, None if the ticket refused it.

    Call it inside a transaction (the event backbone's, for the engine). The
    services lock the ticket's row until that transaction ends, so the latest
    event recorded on it without an actor is this write's.
    """
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
        return None
    return (
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


def _agent(user_id: int | None) -> User | None:
    if user_id is None:
        return None
    agent = User.objects.filter(pk=user_id, is_active=True, role__in=(Role.AGENT, Role.ADMIN)).first()
    if agent is None:
        raise ActionUnavailable(RunWarning.AGENT_GONE)
    return agent


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
        "set_status": AGENT_SUBMIT_STATUSES,
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
