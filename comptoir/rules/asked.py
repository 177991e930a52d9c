"""Facts read only when a rule asks: the team's business hours and the assignee's availability.

Most conditions read the ticket's own fields, which the event already loaded. These two need more of
the database (the group's hours, the assignee's row): they are read once for all the tickets a run
looks at, none when no rule of the run asks, and handed to the facts (comptoir.rules.engine.facts_of).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from comptoir.accounts.models import User
from comptoir.rules.conditions import ASKED_FIELDS, Availability, BusinessHours, RuleLike
from comptoir.sla.team_hours import TeamHoursBook
from comptoir.tickets.models import Ticket


def asked_fields(rules: Iterable[RuleLike]) -> set[str]:
    """The fields of ASKED_FIELDS the rules' conditions read."""
    return {
        data.get("field", "") for rule in rules for data in rule.conditions or [] if data.get("field") in ASKED_FIELDS
    }


@dataclass(frozen=True)
class Asked:
    """What the rules asked for, read for some tickets: at most three queries for the hours, one for the away."""

    hours: TeamHoursBook | None = None
    # The assignees who are away, among those of the tickets; None when no rule asks.
    away: frozenset[int] | None = None

    @classmethod
    def load(cls, rules: Iterable[RuleLike], tickets: Sequence[Ticket], *, hours: TeamHoursBook | None = None) -> Asked:
        """``hours``: the teams' hours already read (an automation's run reads them once for its candidates)."""
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
        return cls(hours, away)

    def of(self, ticket: Ticket, at: datetime) -> Mapping[str, str]:
        """The asked facts of ``ticket`` at ``at`` (the business hours then; the availability now)."""
        found: dict[str, str] = {}
        if self.hours is not None:
            found["business_hours"] = (
                BusinessHours.WITHIN if self.hours.open(ticket.group_id, at) else BusinessHours.OUTSIDE
            )
        if self.away is not None and ticket.assignee_id is not None:
            away = ticket.assignee_id in self.away
            found["assignee_availability"] = Availability.AWAY if away else Availability.AVAILABLE
        return found
