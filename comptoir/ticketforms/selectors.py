"""Reads: the forms offered, a form's fields, a ticket's values as each side may see them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Exists, JSONField, OuterRef, Prefetch, Q, Subquery
from django.utils.translation import gettext

from comptoir.ticketforms import validation
from comptoir.ticketforms.models import FieldValue, FormField, TicketField, TicketForm
from comptoir.ticketforms.validation import JsonValue
from comptoir.tickets.models import Ticket
from comptoir.tickets.search_query import Filter


def forms_offered() -> list[TicketForm]:
    return list(TicketForm.objects.filter(active=True))


def form_to_fill(slug: str) -> tuple[TicketForm | None, list[TicketForm]]:
    """The form a customer chose (?form=<slug>) and the forms offered; none offered, today's form."""
    offered = forms_offered()
    chosen = next((form for form in offered if form.slug == slug), None) if slug else None
    return chosen, offered


def form_offered(slug: str) -> TicketForm | None:
    """The form offered to customers under this address name; None for any other (unknown, or no longer offered)."""
    return TicketForm.objects.filter(active=True, slug=slug).first() if slug else None


def default_form() -> TicketForm | None:
    """The form a new ticket is checked against when the API's caller names none: the first offered, as the
    customer's choice lists them; None when none is offered (the usual form, which asks no field)."""
    return TicketForm.objects.filter(active=True).first()


def customer_fields(form: TicketForm) -> list[TicketField]:
    """The fields a customer fills in on ``form``, in its order."""
    memberships = FormField.objects.filter(
        form=form,
        field__archived=False,
        field__visible_to_customers=True,
        field__editable_by_customers=True,
    ).select_related("field")
    return [membership.field for membership in memberships]


@dataclass(frozen=True)
class ShownValue:
    field: TicketField
    value: JsonValue | None

    @property
    def text(self) -> str:
        return validation.shown(self.field, self.value)


def values_by_ticket(ticket_ids: Collection[int], field_ids: Collection[int]) -> dict[int, dict[int, JsonValue]]:
    """The tickets' values of the given fields, by ticket id then field id (a ticket without any: absent). One query."""
    values: dict[int, dict[int, JsonValue]] = defaultdict(dict)
    rows = FieldValue.objects.filter(ticket_id__in=ticket_ids, field_id__in=field_ids)
    for ticket_id, field_id, value in rows.values_list("ticket_id", "field_id", "value"):
        values[ticket_id][field_id] = value
    return dict(values)


def values_of(ticket: Ticket) -> dict[int, JsonValue]:
    return dict(FieldValue.objects.filter(ticket=ticket).values_list("field_id", "value"))


def customer_values(ticket: Ticket) -> list[ShownValue]:
    """What the requester reads on their ticket: the values of fields visible to customers, never agents' fields."""
    rows = (
        FieldValue.objects.filter(ticket=ticket, field__visible_to_customers=True, field__archived=False)
        .select_related("field")
        .order_by("field__key")
    )
    return [ShownValue(row.field, row.value) for row in rows]


def agent_fields(ticket: Ticket) -> list[TicketField]:
    """Every field an agent may fill in on a ticket: those not archived, and archived ones the ticket holds.

    Each comes with ``ticket_value``: the ticket's value, None when it has none.
    """
    held = FieldValue.objects.filter(ticket=ticket, field=OuterRef("pk"))
    return list(
        TicketField.objects.filter(Q(archived=False) | Q(Exists(held)))
        # The ticket's value of each, in the same query.
        .annotate(ticket_value=Subquery(held.values("value")[:1], output_field=JSONField()))
        .order_by("key")
    )


def fields_with_forms() -> list[TicketField]:
    return list(TicketField.objects.select_related("shown_when_field").prefetch_related("forms"))


def forms_with_fields() -> list[TicketForm]:
    return list(
        TicketForm.objects.prefetch_related(Prefetch("memberships", queryset=FormField.objects.select_related("field")))
    )


def field_filter(typed: Filter) -> Q | str:
    """field:<key>=<value> in a ticket search: the tickets whose field holds the value (any case).

    A multiple choice holds each of its choices; an unticked checkbox holds no row, so "no" matches
    the tickets without "yes".
    """
    key, equals, value = typed.value.partition("=")
    key, value = key.strip(), value.strip().lower()
    if not equals or not key or not value:
        return gettext("“field:%(value)s” reads field:<key>=<value>: it was left out.") % {"value": typed.value}
    values = FieldValue.objects.filter(field__key=key)
    if value == validation.UNCHECKED:
        held = values.filter(text=validation.CHECKED).values("ticket_id")
        return ~Q(pk__in=held)
    holds = (
        Q(text=value) | Q(text__startswith=f"{value} ") | Q(text__endswith=f" {value}") | Q(text__contains=f" {value} ")
    )
    return Q(pk__in=values.filter(holds).values("ticket_id"))
