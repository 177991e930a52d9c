"""What may hold a ticket back from being solved, asked by every service that writes "solved" for an agent or a rule.

comptoir.tickets does not know the apps above it (comptoir.ticketforms' fields
required to solve), so they register a guard here when they start
(``AppConfig.ready``): a callable given the tickets about to be solved that
answers, for each one it holds back, why (a ``SolveHold``). A guard reads the
tickets it is given in a fixed number of queries, never one per ticket.

The requester saying their request is solved is not held (the customer may
close their request), nor is closing (solved → closed, by time).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from comptoir.tickets.models import Ticket


@dataclass(frozen=True)
class SolveHold:
    """Why one ticket may not be solved yet: a sentence in the active language, and what it names (field keys)."""

    reason: str
    names: tuple[str, ...] = ()


SolveGuard = Callable[[Sequence[Ticket]], Mapping[int, SolveHold]]

_GUARDS: list[SolveGuard] = []


class SolveHeld(Exception):
    """A single ticket's "solved" refused: nothing was written."""

    def __init__(self, hold: SolveHold) -> None:
        super().__init__(hold.reason)
        self.hold = hold


def solve_guard_register(guard: SolveGuard) -> None:
    """Have ``guard`` asked before any agent's or rule's "solved"; registering the same guard twice keeps one."""
    if guard not in _GUARDS:
        _GUARDS.append(guard)


def solve_holds(tickets: Sequence[Ticket]) -> dict[int, SolveHold]:
    """The tickets among ``tickets`` that may not be solved, each with the first guard's reason."""
    held: dict[int, SolveHold] = {}
    if not tickets:
        return held
    for guard in _GUARDS:
        for ticket_id, hold in guard(tickets).items():
            held.setdefault(ticket_id, hold)
    return held
