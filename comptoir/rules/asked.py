"""Facts read only when a rule asks: the team's business hours, the assignee's availability, ticket fields' values.

Most conditions read the ticket's own fields, which the event already loaded. These need more of
the database (the group's hours, the assignee's row, the values of the ticket fields a condition or a
"set a field" action names, ``field:<key>``): they are read once for all the tickets a run looks at,
none when no rule of the run asks, and handed to the facts (comptoir.rules.engine.facts_of).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from comptoir.accounts.models import User
from comptoir.rules.conditions import ASKED_FIELDS, Availability, BusinessHours, RuleLike
from comptoir.sla.team_hours import TeamHoursBook
from comptoir.ticketforms import predicates
from comptoir.ticketforms.predicates import FieldFact
from comptoir.tickets.models import Ticket


def asked_fields(rules: Iterable[RuleLike]) -> set[str]:
    """The fields of ASKED_FIELDS the rules' conditions read."""
    return {
        data.get("field", "") for rule in rules for data in rule.conditions or [] if data.get("field") in ASKED_FIELDS
    }


def asked_keys(rules: Iterable[RuleLike]) -> set[str]:
    """The ticket fields the rules' conditions and "set a field" actions name (their keys)."""
    keys: set[str] = set()
    for rule in rules:
        keys |= predicates.keys_named(rule.conditions or [])
        for action in getattr(rule, "actions", None) or []:
            value = action.get("value") if isinstance(action, dict) and action.get("action") == "set_field" else None
            if isinstance(value, dict) and isinstance(value.get("field"), str):
                keys.add(value["field"])
    return keys


@dataclass(frozen=True)
class Asked:
    """What the rules asked for, read for some tickets: at most three queries for the hours, one for the away,
    two for the fields' values."""

    hours: TeamHoursBook | None = None
    # The assignees who are away, among those of the tickets; None when no rule asks.
    away: frozenset[int] | None = None
    # Per ticket, the facts of the fields the rules name (comptoir.ticketforms.predicates); None when none does.
    fields: Mapping[int, Mapping[str, FieldFact]] | None = None

    @classmethod
    def load(cls, rules: Iterable[RuleLike], tickets: Sequence[Ticket], *, hours: TeamHoursBook | None = None) -> Asked:
        """``hours``: the teams' hours already read (an automation's run reads them once for its candidates)."""
        rules = list(rules)  # read twice: the facts asked, the fields named
        fields = asked_fields(rules)
        if "business_hours" not in fields:
            hours = None
        elif hours is None:
            hours = TeamHoursBook.load(groups={ticket.group_id for ticket in tickets})
        away = None
        if "assignee_availability" in fields:
            assignees = {ticket.assignee_id for ticket in tickets if ticket.assignee_id is not None}
            away = frozenset(
                User.objects.filter(pk__in=assignees, away=True).values_list("pk", flat=True) if assignees else ()
            )
        keys = asked_keys(rules)
        values = predicates.facts_for([ticket.pk for ticket in tickets], keys) if keys else None
        return cls(hours, away, values)

    def of(self, ticket: Ticket, at: datetime) -> Mapping[str, Any]:
        """The asked facts of ``ticket`` at ``at`` (the business hours then; the availability and fields now)."""
        found: dict[str, Any] = {}
        if self.fields is not None:
            found["fields"] = self.fields.get(ticket.pk, {})
        if self.hours is not None:
            found["business_hours"] = (
                BusinessHours.WITHIN if self.hours.open(ticket.group_id, at) else BusinessHours.OUTSIDE
            )
        if self.away is not None and ticket.assignee_id is not None:
            away = ticket.assignee_id in self.away
            found["assignee_availability"] = Availability.AWAY if away else Availability.AVAILABLE
        return found
