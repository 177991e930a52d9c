"""Which policy applies to a ticket: pure, no database.

Policies are kept in order (their position); the first active one whose
conditions all hold applies. A condition left empty holds for any ticket.
Conditions on ticket fields (``FieldCondition``) are those of business rules
(comptoir.ticketforms.predicates); a field deleted since holds for no ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from comptoir.ticketforms.predicates import FieldFact, holds


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
    # The ticket's values of the fields the policies name, by key; read only when one does.
    fields: Mapping[str, FieldFact] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldCondition:
    """A ticket field's value compared (comptoir.ticketforms.predicates): ``order_number`` ``is`` ``CMD-1``."""

    key: str
    operator: str
    value: Any = None

    def holds_for(self, facts: TicketFacts) -> bool:
        fact = facts.fields.get(self.key)
        return fact is not None and holds(fact.kind, self.operator, self.value, fact.value)


@dataclass(frozen=True)
class Conditions:
    """A policy's conditions; "" and None hold for any ticket."""

    priority: str = ""
    ticket_type: str = ""
    group_id: int | None = None
    organisation_id: int | None = None
    channel: str = ""
    tag: str = ""
    fields: tuple[FieldCondition, ...] = ()

    def hold_for(self, facts: TicketFacts) -> bool:
        return (
            (not self.priority or self.priority == facts.priority)
            and (not self.ticket_type or self.ticket_type == facts.ticket_type)
            and (self.group_id is None or self.group_id == facts.group_id)
            and (self.organisation_id is None or self.organisation_id == facts.organisation_id)
            and (not self.channel or self.channel == facts.channel)
            and (not self.tag or self.tag in facts.tags)
            and all(condition.holds_for(facts) for condition in self.fields)
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
