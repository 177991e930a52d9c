"""Which policy applies to a ticket: pure, no database.

Policies are kept in order (their position); the first active one whose
conditions all hold applies. A condition left empty holds for any ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar


@dataclass(frozen=True)
class TicketFacts:
    """What policies look at on a ticket."""

    priority: str
    ticket_type: str
    group_id: int | None
    # The requester's organisation.
    organisation_id: int | None
    channel: str
    tags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Conditions:
    """A policy's conditions; "" and None hold for any ticket."""

    priority: str = ""
    ticket_type: str = ""
    group_id: int | None = None
    organisation_id: int | None = None
    channel: str = ""
    tag: str = ""

    def hold_for(self, facts: TicketFacts) -> bool:
        return (
            (not self.priority or self.priority == facts.priority)
            and (not self.ticket_type or self.ticket_type == facts.ticket_type)
            and (self.group_id is None or self.group_id == facts.group_id)
            and (self.organisation_id is None or self.organisation_id == facts.organisation_id)
            and (not self.channel or self.channel == facts.channel)
            and (not self.tag or self.tag in facts.tags)
        )


class HasConditions(Protocol):
    @property
    def conditions(self) -> Conditions: ...


P = TypeVar("P", bound=HasConditions)


def policy_for(facts: TicketFacts, policies: Iterable[P]) -> P | None:
    """The first of ``policies`` (active ones, in order) whose conditions hold for the ticket, if any."""
    for policy in policies:
        if policy.conditions.hold_for(facts):
            return policy
    return None
