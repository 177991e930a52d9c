"""A ticket's values as programs read and write them (the API, webhooks): typed JSON keyed by the field's key.

Read: numbers as numbers, dates as ISO text, a multiple choice as a list, a
checkbox as a boolean; only the fields that hold a value. Written: checked by
the Django form field each kind has on the web (``validation.form_field``), so a
value the web's forms refuse is refused here too, with the same message; and a
requester's new ticket is checked against its form as the customer's form is
(``form_values_check``): the fields it asks, those it requires, its conditions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext

from comptoir.ticketforms import validation
from comptoir.ticketforms.forms import hidden_fields
from comptoir.ticketforms.models import FieldKind, FieldValue, TicketField, TicketForm
from comptoir.ticketforms.selectors import customer_fields, values_of
from comptoir.ticketforms.solving import quoted
from comptoir.ticketforms.validation import JsonValue
from comptoir.tickets.models import Ticket

# Where a ticket's values are prefetched (``values_prefetch``), for ``values_json``.
PREFETCHED = "shown_field_values"


def values_prefetch(*, customers: bool = False) -> Prefetch[Any]:
    """One query for the values of any number of tickets; the requester's side: fields visible to customers only."""
    rows = FieldValue.objects.select_related("field").order_by("field__key")
    if customers:
        rows = rows.filter(field__visible_to_customers=True, field__archived=False)
    return Prefetch("field_values", queryset=rows, to_attr=PREFETCHED)


def typed(field: TicketField, value: JsonValue) -> JsonValue | float:
    """A stored value as JSON gives it to a program: a decimal number as a number, the rest as kept."""
    if field.kind == FieldKind.DECIMAL and isinstance(value, str):
        number = Decimal(value)
        return int(number) if number == number.to_integral() else float(number)
    return value


def values_json(ticket: Ticket, *, customers: bool = False) -> dict[str, JsonValue | float]:
    """{key: value} of the fields ``ticket`` holds a value for, from ``values_prefetch`` when it ran."""
    rows = getattr(ticket, PREFETCHED, None)
    if rows is None:
        rows = list(values_prefetch(customers=customers).queryset.filter(ticket=ticket))  # type: ignore[union-attr]
    return {row.field.key: typed(row.field, row.value) for row in rows}


@dataclass
class Checked:
    """A program's values, checked: those to write (None: remove the value), and the errors by key."""

    values: dict[TicketField, JsonValue | None] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def values_check(raw: Mapping[str, Any], *, customer: bool, ticket: Ticket | None = None) -> Checked:
    """Check ``raw`` ({key: value}) as the web's forms would, for a requester (``customer``) or an agent.

    A key no field has (or, for a requester, a field they do not see) is refused, and so is a field
    a requester does not fill in. A field shown only when another holds a given value takes a value
    only when it does, read from what is sent, else from what ``ticket`` holds; a hidden field is
    neither required nor kept. null (or "") removes a value.
    """
    checked = Checked()
    if not raw:
        return checked
    found = {f.key: f for f in TicketField.objects.filter(key__in=list(raw)).select_related("shown_when_field")}
    for key, value in raw.items():
        ticket_field = found.get(key)
        if ticket_field is None or (customer and (not ticket_field.visible_to_customers or ticket_field.archived)):
            checked.errors[key] = [gettext("There is no field with the key “%(key)s”.") % {"key": key}]
            continue
        if customer and not ticket_field.editable_by_customers:
            checked.errors[key] = [gettext("Only agents fill in this field.")]
            continue
        if isinstance(value, dict) or (isinstance(value, list) and ticket_field.kind != FieldKind.MULTI_SELECT):
            # The form fields would read a list's or an object's text as the value.
            checked.errors[key] = [gettext("Send one value: text, a number or true/false.")]
            continue
        try:
            cleaned = validation.form_field(ticket_field, required=False).clean(value)
        except ValidationError as error:
            checked.errors[key] = list(error.messages)
            continue
        checked.values[ticket_field] = validation.stored(ticket_field, cleaned)
    held: dict[int, JsonValue] = {}
    if ticket is not None and any(f.shown_when_field_id for f in checked.values):
        held = values_of(ticket)
    sent = {f.pk: value for f, value in checked.values.items()}
    for ticket_field, value in list(checked.values.items()):
        controller = ticket_field.shown_when_field
        if controller is None or value is None:
            continue
        current = sent[controller.pk] if controller.pk in sent else held.get(controller.pk)
        if not validation.condition_met(ticket_field.shown_when_value, validation.stored_answers(controller, current)):
            del checked.values[ticket_field]
            checked.errors[ticket_field.key] = [_only_when(ticket_field)]
    return checked


def form_values_check(raw: Mapping[str, Any], *, form: TicketForm) -> Checked:
    """A requester's values for a new ticket sent on ``form``, checked as the customer's form checks them.

    Each value first as ``values_check`` checks a requester's; then as the form (FieldsForm): a field it
    does not ask is refused, and each field it asks and requires that holds no value is refused as the
    web refuses it ("This field is required."). Conditions are settled in the form's order on the values
    sent (``forms.hidden_fields``): a field they hide is neither required nor kept (a value sent for it
    is refused, as ``values_check`` refuses one).
    """
    checked = values_check(raw, customer=True)
    asked = customer_fields(form)
    on_form = {each.pk for each in asked}
    for ticket_field in [each for each in checked.values if each.pk not in on_form]:
        del checked.values[ticket_field]
        checked.errors[ticket_field.key] = [
            gettext("The form %(form)s does not ask this field.") % {"form": quoted(form.title)}
        ]
    # The fields as values_check read them, with the field each condition reads.
    read = {each.pk: each for each in checked.values}
    sent = {each.pk: value for each, value in checked.values.items()}
    hidden = hidden_fields(asked, lambda each: validation.stored_answers(each, sent.get(each.pk)))
    for ticket_field in hidden:
        checked.values.pop(ticket_field, None)
        if sent.get(ticket_field.pk) is not None and ticket_field.key not in checked.errors:
            checked.errors[ticket_field.key] = [_only_when(read[ticket_field.pk])]
    for ticket_field in asked:
        missing = sent.get(ticket_field.pk) is None and ticket_field.key not in checked.errors
        if ticket_field.required and missing and ticket_field not in hidden:
            checked.errors[ticket_field.key] = [str(forms.Field.default_error_messages["required"])]
    return checked


def _only_when(ticket_field: TicketField) -> str:
    """Why a value sent for a field its condition hides is refused (its condition's field read with it)."""
    controller = ticket_field.shown_when_field
    return gettext("This field takes a value only when %(field)s is %(value)s.") % {
        "field": quoted(controller.label if controller is not None else ""),
        "value": quoted(ticket_field.shown_when_value),
    }
