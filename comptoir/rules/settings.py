"""What admins change in the workspace's rule settings: one function per action, and "why did it (not) fire".

The pages (comptoir.workspace.rules_settings_views) turn what was typed into
the JSON a rule keeps and call one of these. ``rule_save`` checks it with
comptoir.rules.validation, as the Django admin does, so that no caller stores a
rule that can never match, contradicts itself or names what does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from comptoir.rules.actions import Plan, plan
from comptoir.rules.conditions import Verdict, evaluate
from comptoir.rules.engine import facts_of, rule_last_run
from comptoir.rules.models import Rule, RuleKind, RuleRun
from comptoir.rules.validation import rule_errors
from comptoir.tickets.models import Message, Ticket


@transaction.atomic
def rule_save(
    rule: Rule | None = None,
    *,
    name: str,
    active: bool,
    events: Sequence[str],
    match: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
) -> Rule:
    """Create a trigger (``rule`` None: it runs last) or replace what it is.

    Raises ValidationError, by field (name, events, conditions, actions), with nothing saved.
    """
    if rule is None:
        # The rows locked, not an aggregate (PostgreSQL refuses FOR UPDATE with one): two new rules never tie.
        positions = Rule.objects.select_for_update().filter(kind=RuleKind.TRIGGER).values_list("position", flat=True)
        rule = Rule(position=max(positions, default=0) + 1, kind=RuleKind.TRIGGER)
    else:
        rule = Rule.objects.select_for_update().get(pk=rule.pk)
    rule.name, rule.active, rule.match = name.strip(), active, match
    rule.events, rule.conditions, rule.actions = list(events), conditions, actions
    # The JSON fields are checked by Rule.clean (comptoir.rules.validation), not as "blank".
    rule.full_clean(exclude=["events", "conditions", "actions", "position"])
    rule.save()
    return rule


@transaction.atomic
def rule_move(rule: Rule, *, up: bool) -> bool:
    """Swap the rule with the one before it (``up``) or after it; False when it is already first or last.

    The positions are numbered again 1, 2, 3… on the way, so that equal ones
    (the Django admin lets them be typed) run in the order they are shown.
    """
    # Triggers and automations run apart: each kind has its own order.
    ordered = list(Rule.objects.select_for_update().filter(kind=rule.kind).order_by("position", "id"))
    index = next((i for i, row in enumerate(ordered) if row.pk == rule.pk), None)
    if index is None:
        raise Rule.DoesNotExist
    other = index - 1 if up else index + 1
    if not 0 <= other < len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    changed = []
    for position, row in enumerate(ordered, start=1):
        if row.position != position:
            row.position = position
            changed.append(row)
    Rule.objects.bulk_update(changed, ["position"])
    return True


@transaction.atomic
def rule_toggle(rule: Rule, *, active: bool) -> Rule:
    """Turn a rule on or off. Turned on, it is checked again: what it names may have gone since it was saved."""
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    if active and not rule.active:
        errors = rule_errors(rule)
        if errors:
            raise ValidationError(errors)
    rule.active = active
    rule.save(update_fields=["active", "updated_at"])
    return rule


@transaction.atomic
def rule_delete(rule: Rule) -> None:
    """Delete a rule and what it did (its runs): the history it wrote stays, without its name."""
    rule.delete()


# --- Why did it (not) fire ------------------------------------------------------------------------


@dataclass(frozen=True)
class Why:
    """What a rule last did on a ticket, and what it would do now."""

    ticket: Ticket
    last_run: RuleRun | None
    now: Verdict
    # What it would change now, when it matches (empty: the ticket is already as it sets it).
    would: Plan | None


def rule_why(rule: Rule, ticket: Ticket, *, now: datetime | None = None) -> Why:
    """The rule's latest run on ``ticket`` (its first failed condition), and whether it would match it now.

    "Now" reads the ticket as the dry run does: as if it had just been created,
    its first message as the message. Nothing is written.
    """
    first_message = Message.objects.filter(ticket=OuterRef("pk")).order_by("created_at", "id").values("body")[:1]
    email, organisation_id, body = (
        Ticket.objects.filter(pk=ticket.pk)
        .annotate(first_body=Subquery(first_message))
        .values_list("requester__email", "requester__organisation_id", "first_body")
        .get()
    )
    facts = facts_of(
        ticket,
        requester=email,
        organisation_id=organisation_id,
        tags=ticket.tags.values_list("name", flat=True),
        body=body or "",
        now=now or timezone.now(),
    )
    verdict = evaluate(rule, facts)
    return Why(
        ticket=ticket,
        last_run=rule_last_run(rule, ticket),
        now=verdict,
        would=plan(rule.actions, facts) if verdict.matched else None,
    )
