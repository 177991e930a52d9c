"""What admins change in the workspace's rule settings: one function per action, what a rule would do, and "why".

The pages (comptoir.workspace.rules_settings_views) turn what was typed into
the JSON a rule keeps and call one of these. ``rule_save`` checks it with
comptoir.rules.validation, as the Django admin does, so that no caller stores a
rule that can never match, contradicts itself or names what does not exist.

Triggers and automations are written alike; they are tried apart. A trigger is
tried on recent tickets as if each had just been created (comptoir.rules.engine's
dry run); an automation on the tickets its next run would act on
(``automation_dry_run``: its candidates now, read as the job reads them). Both
read only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from comptoir.rules.actions import Plan, plan
from comptoir.rules.asked import Asked
from comptoir.rules.automations import automation_facts, candidates
from comptoir.rules.conditions import TIME_FIELDS, TicketFacts, Verdict, evaluate
from comptoir.rules.engine import WouldChange, facts_of, rule_last_run
from comptoir.rules.models import Outcome, Rule, RuleKind, RuleRun
from comptoir.rules.validation import rule_errors
from comptoir.tickets.models import Message, Ticket


@transaction.atomic
def rule_save(
    rule: Rule | None = None,
    *,
    kind: str = RuleKind.TRIGGER,
    name: str,
    active: bool,
    events: Sequence[str],
    match: str,
    conditions: list[dict[str, Any]],
    actions: list[dict[str, Any]],
) -> Rule:
    """Create a trigger or an automation (``rule`` None: it runs last of its kind) or replace what it is.

    ``kind`` is read on creation only: a rule stays what it was made. An automation has no events
    and all of its conditions must hold (comptoir.rules.validation says so).
    Raises ValidationError, by field (name, events, conditions, actions), with nothing saved.
    """
    if rule is None:
        # The rows locked, not an aggregate (PostgreSQL refuses FOR UPDATE with one): two new rules never tie.
        positions = Rule.objects.select_for_update().filter(kind=kind).values_list("position", flat=True)
        rule = Rule(position=max(positions, default=0) + 1, kind=kind)
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
    """Delete a rule and what it did (its runs): the history it wrote stays, without its name.

    A default rule (comptoir.rules.defaults) is turned off instead: ``default_rules_restore`` would write it again.
    """
    if rule.built_in:
        raise ValueError("a default rule is turned off, not deleted")
    rule.delete()


# --- What an automation would do -----------------------------------------------------------------


@dataclass(frozen=True)
class AutomationTrial:
    """The tickets an automation's next run would act on, as typed, and what it would change on each."""

    # The tickets past its time conditions (and its other conditions the database checks) that it has
    # not acted on in their current period, at most ``limit`` of them.
    looked_at: int
    found: list[WouldChange]


def automation_dry_run(rule: Rule, *, now: datetime | None = None, limit: int = 1000) -> AutomationTrial:
    """What ``rule`` (a valid automation, saved or only typed) would do if the job ran now. Nothing is written.

    The candidates are those the job reads (comptoir.rules.automations.candidates), so the tickets it acted
    on in their current period are left out, as the job leaves them; each is then evaluated as the job does,
    with the times of its clock. Three queries whatever the number of tickets: the candidates with their
    requester and clock, their tags, and (when a condition reads it) their latest messages.
    """
    now = now or timezone.now()
    # A rule only typed has no runs yet: no saved rule has the id 0, so none are read for it.
    probe = rule if rule.pk is not None else Rule(pk=0, kind=rule.kind, conditions=rule.conditions)
    tickets = list(candidates(probe, now=now).select_related("requester", "rules_clock").order_by("pk")[:limit])
    ids = [ticket.pk for ticket in tickets]
    tags: dict[int, set[str]] = {}
    for ticket_id, name in Ticket.tags.through.objects.filter(ticket_id__in=ids).values_list("ticket_id", "tag__name"):
        tags.setdefault(ticket_id, set()).add(name)
    bodies: dict[int, str] = {}
    if ids and any(data.get("field") == "body" for data in rule.conditions or []):
        # "The message" of an automation is the ticket's latest (comptoir.rules.automations.automation_facts).
        latest = Message.objects.filter(ticket=OuterRef("pk")).order_by("-created_at", "-id").values("body")[:1]
        bodies = dict(Ticket.objects.filter(pk__in=ids).annotate(latest=Subquery(latest)).values_list("pk", "latest"))
    asked = Asked.load([rule], tickets)
    found = []
    for ticket in tickets:
        facts = _clocked_facts(
            ticket,
            tags=tags.get(ticket.pk, set()),
            body=bodies.get(ticket.pk) or "",
            now=now,
            asked=asked.of(ticket, now),
        )
        if evaluate(rule, facts).matched:
            found.append(WouldChange(ticket=ticket, plan=plan(rule.actions, facts)))
    return AutomationTrial(looked_at=len(tickets), found=found)


def _clocked_facts(
    ticket: Ticket, *, tags: set[str], body: str, now: datetime, asked: Mapping[str, Any]
) -> TicketFacts:
    """The facts automation_facts reads, from what was loaded for many tickets at once."""
    clock = getattr(ticket, "rules_clock", None)  # select_related: None when the ticket has no clock yet
    return facts_of(
        ticket,
        requester=ticket.requester.email,
        organisation_id=ticket.requester.organisation_id,
        tags=tags,
        body=body,
        now=now,
        created_at=ticket.created_at,
        status_since=clock.status_since if clock is not None and clock.status == ticket.status else None,
        requester_message_at=clock.requester_message_at if clock is not None else None,
        agent_message_at=clock.agent_message_at if clock is not None else None,
        asked=asked,
    )


# --- Why did it (not) fire ------------------------------------------------------------------------


@dataclass(frozen=True)
class Why:
    """What a rule last did on a ticket, and what it would do now."""

    ticket: Ticket
    last_run: RuleRun | None
    now: Verdict
    # What it would change now, when it matches (empty: the ticket is already as it sets it).
    would: Plan | None
    # Automations: it fired on the ticket in the period it is in now, so it waits for a new one.
    acted_this_period: bool = False


def rule_why(rule: Rule, ticket: Ticket, *, now: datetime | None = None) -> Why:
    """The rule's latest run on ``ticket`` (its first failed condition), and whether it would match it now.

    A trigger reads the ticket "now" as the dry run does: as if it had just been created, its first
    message as the message. An automation reads it as its job would at this moment: the times of its
    clock, its latest message. Nothing is written.
    """
    now = now or timezone.now()
    if rule.kind == RuleKind.AUTOMATION:
        return _automation_why(rule, ticket, now=now)
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
        now=now,
        asked=Asked.load([rule], [ticket]).of(ticket, now),
    )
    verdict = evaluate(rule, facts)
    return Why(
        ticket=ticket,
        last_run=rule_last_run(rule, ticket),
        now=verdict,
        would=plan(rule.actions, facts) if verdict.matched else None,
    )


def _automation_why(rule: Rule, ticket: Ticket, *, now: datetime) -> Why:
    loaded = Ticket.objects.select_related("requester", "rules_clock").get(pk=ticket.pk)
    facts = automation_facts(loaded, rule, now=now)
    verdict = evaluate(rule, facts)
    acted = False
    if verdict.matched:
        # The period it is in: the latest of the times its conditions count from (comptoir.rules.automations).
        times = [
            getattr(facts, TIME_FIELDS[data["field"]][0]) for data in rule.conditions if data["field"] in TIME_FIELDS
        ]
        if times and None not in times:
            acted = RuleRun.objects.filter(rule=rule, ticket=ticket, period=max(times), outcome=Outcome.FIRED).exists()
    return Why(
        ticket=ticket,
        last_run=rule_last_run(rule, ticket),
        now=verdict,
        would=plan(rule.actions, facts) if verdict.matched else None,
        acted_this_period=acted,
    )
