"""Comptoir's default rules: the behaviours a new help desk starts with, as rules admins can read, change and turn off.

- "Close tickets solved for N days": an automation, N being ``COMPTOIR_AUTO_CLOSE_DAYS`` when the rule
  is written (afterwards the rule says how long, and admins change it in the workspace settings).
- "Tell the assignee when the requester replies": a trigger notifying the assignee, whose notice is
  the requester's reply (comptoir.rules.actions, ``notify_agents``), in the workspace and by e-mail
  as the assignee chose.

What the statuses require is not a rule and cannot be turned off: the requester's message reopens a
pending, on-hold or solved ticket, and a reply to a closed ticket opens a follow-up (comptoir.tickets).

The rules are written by a data migration (comptoir/rules/migrations/0004_default_rules.py) and put
back by ``default_rules_restore`` when they are missing (a test flushed the tables), never over an
admin's changes. Their names are written in the help desk's language (``LANGUAGE_CODE``), as an admin
of the desk would have written them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Max, Model
from django.utils import translation
from django.utils.translation import gettext

from comptoir.rules.models import Rule, RuleKind, Trigger
from comptoir.tickets.models import RuleRecipient, Status

AUTO_CLOSE = "auto_close"
ASSIGNEE_TOLD_OF_REPLY = "assignee_told_of_reply"


def default_rules(days: int) -> list[dict[str, Any]]:
    """The default rules' fields, in the order they are added, with names in the active language."""
    return [
        {
            "built_in": ASSIGNEE_TOLD_OF_REPLY,
            "name": gettext("Tell the assignee when the requester replies"),
            "kind": RuleKind.TRIGGER,
            "events": [Trigger.REQUESTER_MESSAGE],
            "conditions": [{"field": "assignee", "operator": "is_set", "value": None}],
            "actions": [{"action": "notify_agents", "value": {"to": RuleRecipient.ASSIGNEE}}],
        },
        {
            "built_in": AUTO_CLOSE,
            "name": gettext("Close tickets solved for %(days)s days") % {"days": days},
            "kind": RuleKind.AUTOMATION,
            "events": [],
            "conditions": [
                {"field": "status", "operator": "is", "value": Status.SOLVED},
                {"field": "hours_in_status", "operator": "at_least", "value": days * 24},
            ],
            "actions": [{"action": "set_status", "value": Status.CLOSED}],
        },
    ]


def default_rules_restore(rule_model: type[Model] = Rule) -> int:
    """Write the default rules that are missing, after the others; returns how many were written.

    ``rule_model`` is the migration's historical model when a migration calls this.
    """
    manager = rule_model._default_manager
    present = set(manager.exclude(built_in="").values_list("built_in", flat=True))
    position = (manager.aggregate(last=Max("position"))["last"] or 0) + 1
    with translation.override(settings.LANGUAGE_CODE):
        missing = [
            fields for fields in default_rules(settings.COMPTOIR_AUTO_CLOSE_DAYS) if fields["built_in"] not in present
        ]
    manager.bulk_create(rule_model(position=position + offset, **fields) for offset, fields in enumerate(missing))
    return len(missing)
