"""What an admin may save: a rule that can match, does not contradict itself, and names what exists."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from comptoir.accounts.models import Organisation, Role, User
from comptoir.rules.actions import action_errors
from comptoir.rules.asked import asked_keys
from comptoir.rules.conditions import TIME_FIELDS, Op, condition_errors
from comptoir.rules.models import Rule, RuleKind, Trigger
from comptoir.ticketforms import predicates
from comptoir.tickets.models import RuleRecipient, Status, SupportGroup
from comptoir.webhooks.models import Webhook


def rule_errors(rule: Rule) -> dict[str, list[str]]:
    """Why ``rule`` cannot be saved, by field (empty when it can)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, messages: Iterable[str]) -> None:
        errors.setdefault(field, []).extend(messages)
        if not errors[field]:
            del errors[field]

    events = rule.events
    if rule.kind == RuleKind.AUTOMATION:
        add("events", _automation_errors(rule))
    if rule.kind == RuleKind.TRIGGER:
        if not isinstance(events, list) or not events:
            add("events", [_("Choose at least one event the trigger runs on.")])
        else:
            unknown = [str(event) for event in events if event not in Trigger.values]
            if unknown:
                add("events", [_("Unknown events: %(events)s.") % {"events": ", ".join(unknown)}])
    add("conditions", condition_errors(rule.conditions, match=rule.match))
    if rule.kind == RuleKind.TRIGGER and _has_time_condition(rule.conditions):
        add("conditions", [_("Conditions on hours belong to automations: a trigger runs when something happens.")])
    if rule.kind == RuleKind.AUTOMATION and isinstance(rule.conditions, list) and "conditions" not in errors:
        add("conditions", _anchor_errors(rule))
    if isinstance(events, list) and Trigger.UPDATED in events and not rule.conditions:
        add(
            "conditions",
            [_("A trigger on every update needs a condition, or it would run on every change of every ticket.")],
        )
    add("actions", action_errors(rule.actions))
    if rule.kind == RuleKind.TRIGGER and _closes(rule.actions):
        add("actions", [_("Only an automation closes tickets: closed is final, and comes with time.")])
    if not errors:
        add("conditions", _missing(_references(rule.conditions, key="field"), conditions=True))
        add("actions", _missing(_references(rule.actions, key="action"), conditions=False))
        conditions, actions = _field_errors(rule)
        add("conditions", conditions)
        add("actions", actions)
    return errors


def _field_errors(rule: Rule) -> tuple[list[str], list[str]]:
    """Conditions and actions on ticket fields (``field:<key>``, ``set_field``): the field exists, the operator
    fits its kind, the value is one it accepts. One query, none when the rule names no field.

    A value accepted is kept as the field stores it ("12,5" as "12.5", a choice as the field spells it), so
    that a rule compares and sets what a ticket holds.
    """
    keys = asked_keys([rule])
    if not keys:
        return [], []
    fields = predicates.fields_by_key(keys)

    def unknown(key: str) -> str:
        return _("no ticket field has the key “%(key)s”.") % {"key": key}

    conditions: list[str] = []
    for number, data in enumerate(rule.conditions, start=1):
        key = predicates.key_of(data.get("field"))
        if key is None:
            continue
        found = fields.get(key)
        if found is None:
            problem = unknown(key)
        else:
            problem, kept = predicates.condition_problem(found, data["operator"], data.get("value"))
            if not problem:
                data["value"] = kept
        if problem:
            conditions.append(_("Condition %(number)s: %(problem)s") % {"number": number, "problem": problem})
    actions: list[str] = []
    for number, action in enumerate(rule.actions, start=1):
        if action.get("action") != "set_field":
            continue
        key = action["value"]["field"]
        found = fields.get(key)
        if found is None:
            problem = unknown(key)
        else:
            problem, stored = predicates.value_problem(found, action["value"].get("value"))
            if not problem:
                action["value"]["value"] = stored
        if problem:
            actions.append(_("Action %(number)s: %(problem)s") % {"number": number, "problem": problem})
    return conditions, actions


def _has_time_condition(conditions: Any) -> bool:
    return isinstance(conditions, list) and any(
        isinstance(data, dict) and data.get("field") in TIME_FIELDS for data in conditions
    )


def _closes(actions: Any) -> bool:
    return isinstance(actions, list) and any(
        isinstance(action, dict) and action.get("action") == "set_status" and action.get("value") == Status.CLOSED
        for action in actions
    )


def _automation_errors(rule: Rule) -> list[str]:
    errors = []
    if rule.events:
        errors.append(_("An automation runs on time, not on events: leave its events empty."))
    if rule.match != "all":
        errors.append(_("An automation's conditions must all hold (“any” would read every ticket)."))
    return errors


def _anchor_errors(rule: Rule) -> list[str]:
    """An automation reads the tickets past a time: at least one condition must say which."""
    for data in rule.conditions:
        if not isinstance(data, dict) or data.get("field") not in TIME_FIELDS:
            continue
        _fact, until = TIME_FIELDS[data["field"]]
        if data.get("operator") == (Op.LESS_THAN if until else Op.AT_LEAST):
            return []
    return [
        _(
            "An automation needs a condition “at least N hours since” (created, in the status, a message, "
            "the service level due) or “less than N hours until” the service level is due."
        )
    ]


def rule_validate(rule: Rule) -> None:
    errors = rule_errors(rule)
    if errors:
        raise ValidationError(errors)


_REFERENCE_KEYS = {
    "group": "group",
    "assignee": "assignee",
    "organisation": "organisation",
    "set_group": "group",
    "set_assignee": "assignee",
    "call_webhook": "webhook",
}


def _references(items: Any, *, key: str) -> dict[str, set[int]]:
    """The ids the rule names, by what they name (group, assignee, organisation)."""
    named: dict[str, set[int]] = {}
    for item in items or []:
        told = item.get("value") if item.get(key) == "notify_agents" else None
        if isinstance(told, dict) and told.get("to") == RuleRecipient.AGENT:
            # A notice to one agent names them (an active agent, as an assignment).
            named.setdefault("assignee", set()).add(told["agent"])
            continue
        what = _REFERENCE_KEYS.get(item.get(key, ""))
        value = item.get("value")
        if what is None or value is None or value == "":
            continue
        named.setdefault(what, set()).update(value if isinstance(value, list) else [value])
    return named


def _missing(named: dict[str, set[int]], *, conditions: bool) -> list[str]:
    def existing(what: str, ids: set[int]) -> set[int]:
        if what == "group":
            rows: QuerySet[Any] = SupportGroup.objects.filter(pk__in=ids)
        elif what == "organisation":
            rows = Organisation.objects.filter(pk__in=ids)
        elif what == "webhook":
            # A rule calls a webhook that is on; one turned off since is a warning when the rule fires.
            rows = Webhook.objects.filter(pk__in=ids, active=True)
        elif conditions:
            # A condition may name a former agent (tickets still assigned to them).
            rows = User.objects.filter(pk__in=ids)
        else:
            # An action assigns only agents.
            rows = User.objects.filter(pk__in=ids, is_active=True, role__in=(Role.AGENT, Role.ADMIN))
        return set(rows.values_list("pk", flat=True))

    messages = {
        "group": _("No group has the id %(ids)s."),
        "organisation": _("No organisation has the id %(ids)s."),
        "assignee": _("No agent has the id %(ids)s."),
        "webhook": _("No webhook that is on has the id %(ids)s."),
    }
    errors = []
    for what, ids in named.items():
        missing = ids - existing(what, ids)
        if missing:
            errors.append(messages[what] % {"ids": ", ".join(map(str, sorted(missing)))})
    return errors
