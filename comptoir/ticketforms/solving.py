"""Fields required to solve: which tickets they hold back, and the guard comptoir.tickets asks before any "solved".

Registered in ``TicketFormsConfig.ready`` (comptoir.tickets.solve_guards): the
agent's ticket page, bulk changes, canned replies, the API and business rules
all write "solved" through the ticket services, which ask the guard first. A
field shown only when another holds a given value holds a ticket back only
while that condition is met, as on the form (a hidden field is neither
required nor kept).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import ngettext, pgettext

from comptoir.ticketforms import validation
from comptoir.ticketforms.models import TicketField
from comptoir.ticketforms.selectors import values_by_ticket
from comptoir.ticketforms.validation import JsonValue
from comptoir.tickets.models import Ticket
from comptoir.tickets.solve_guards import SolveHold

# A chain of conditions (C shown when B, B shown when A) is followed this far, no further.
CONDITION_HOPS = 10


def missing_by_ticket(tickets: Sequence[Ticket]) -> dict[int, list[TicketField]]:
    """For each ticket that lacks some, the fields required to solve it that it holds no value for, by key.

    Two queries whatever the number of tickets (one when no field is required to solve): the fields,
    then the tickets' values of the fields required and of those their conditions read.
    """
    fields = {field.pk: field for field in TicketField.objects.order_by("key")}
    required = [field for field in fields.values() if field.required_to_solve and not field.archived]
    if not required or not tickets:
        return {}
    read: set[int] = set()
    for field in required:
        current: TicketField | None = field
        for _hop in range(CONDITION_HOPS):
            if current is None:
                break
            read.add(current.pk)
            current = fields.get(current.shown_when_field_id) if current.shown_when_field_id else None
    values = values_by_ticket([ticket.pk for ticket in tickets], read)

    def shown(field: TicketField, held: dict[int, JsonValue], hops: int = 0) -> bool:
        if field.shown_when_field_id is None:
            return True
        controller = fields.get(field.shown_when_field_id)
        if controller is None or hops >= CONDITION_HOPS or not shown(controller, held, hops + 1):
            return False
        return validation.condition_met(
            field.shown_when_value, validation.stored_answers(controller, held.get(controller.pk))
        )

    missing: dict[int, list[TicketField]] = {}
    for ticket in tickets:
        held = values.get(ticket.pk, {})
        lacking = [field for field in required if field.pk not in held and shown(field, held)]
        if lacking:
            missing[ticket.pk] = lacking
    return missing


def quoted(name: str) -> str:
    # The language's own quotation marks: “name” in English, « name » in French.
    return pgettext("a name in quotation marks", "“%(name)s”") % {"name": name}


def solve_guard(tickets: Sequence[Ticket]) -> dict[int, SolveHold]:
    """The guard comptoir.tickets asks: the tickets a field required to solve holds back, with the fields named."""
    holds: dict[int, SolveHold] = {}
    for ticket_id, lacking in missing_by_ticket(tickets).items():
        reason = ngettext(
            "This ticket cannot be solved yet: fill in the field %(fields)s first.",
            "This ticket cannot be solved yet: fill in the fields %(fields)s first.",
            len(lacking),
        ) % {"fields": ", ".join(quoted(field.label) for field in lacking)}
        holds[ticket_id] = SolveHold(reason=reason, names=tuple(field.key for field in lacking))
    return holds
