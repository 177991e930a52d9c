"""The forms that ask a ticket's fields: the customer's (with conditions) and the agent's."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from comptoir.ticketforms import validation
from comptoir.ticketforms.models import TicketField, TicketForm
from comptoir.ticketforms.selectors import customer_fields
from comptoir.ticketforms.validation import JsonValue


@dataclass(frozen=True)
class FieldRow:
    bound: forms.BoundField
    field: TicketField
    name: str
    # The input whose value shows this row, "" when always shown.
    shown_when: str
    # Hidden when the page opens: only on the agent's card, where the server knows the ticket's values
    # (the customer's form shows every field until its script runs, so that it works without one).
    hidden: bool = False


def input_name(field: TicketField) -> str:
    return f"field_{field.key}"


def controllers_first(ticket_fields: Sequence[TicketField]) -> list[TicketField]:
    """The fields in their order, each moved after the field its condition reads (when that one is given).

    The conditions are settled in this order, on the server as on the page (conditional-fields.js):
    the agent's card lists fields by key, and "Browser" must come after the "Product" that shows it.
    A cycle of conditions leaves its fields in their order (and hidden, as a condition on a later field).
    """
    by_id = {field.pk: field for field in ticket_fields}
    placed: list[TicketField] = []
    seen: set[int] = set()

    def place(field: TicketField, path: frozenset[int]) -> None:
        if field.pk in seen or field.pk in path:
            return
        controller = by_id.get(field.shown_when_field_id) if field.shown_when_field_id else None
        if controller is not None:
            place(controller, path | {field.pk})
        if field.pk not in seen:
            seen.add(field.pk)
            placed.append(field)

    for field in ticket_fields:
        place(field, frozenset())
    return placed


def hidden_fields(
    ticket_fields: Sequence[TicketField], answers: Callable[[TicketField], list[str]]
) -> list[TicketField]:
    """The fields of a form whose condition is not met, given what ``answers`` says each field holds.

    Fields come in form order, so a condition on an earlier field is settled first;
    a condition on a later field, on a hidden one or on a field not on this form is
    settled as unmet. The web's forms (FieldsForm) and the API's new tickets
    (comptoir.ticketforms.values.form_values_check) settle them here, the same way.
    """
    by_id = {field.pk: field for field in ticket_fields}
    hidden: set[int] = set()
    settled: set[int] = set()
    for field in ticket_fields:
        if field.shown_when_field_id is not None:
            controller = by_id.get(field.shown_when_field_id)
            met = (
                controller is not None
                and controller.pk in settled
                and controller.pk not in hidden
                and validation.condition_met(field.shown_when_value, answers(controller))
            )
            if not met:
                hidden.add(field.pk)
        settled.add(field.pk)
    return [field for field in ticket_fields if field.pk in hidden]


class FieldsForm(forms.Form):
    """The given fields, in order. On the customer's side, required ones are required.

    On both sides, a field whose condition is not met is hidden on the page (conditional-fields.js)
    and, here, neither required nor kept, whatever was typed in it: the customer's form leaves it
    out of a new ticket, the agent's card clears the ticket's value of it.
    """

    def __init__(
        self, *args: Any, ticket_fields: Sequence[TicketField], for_customer: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.ticket_fields = list(ticket_fields)
        self.for_customer = for_customer
        for field in self.ticket_fields:
            self.fields[input_name(field)] = validation.form_field(field, required=for_customer and field.required)
        self._hidden: set[str] = set()
        if self.is_bound:
            self._hidden = self._hidden_names(self._posted_answers)
            for name in self._hidden:
                self.fields[name].required = False
        elif not for_customer:
            self._hidden = self._hidden_names(self._initial_answers)

    def _posted_answers(self, controller: TicketField) -> list[str]:
        return validation.raw_answers(controller, self.data, self.add_prefix(input_name(controller)))

    def _initial_answers(self, controller: TicketField) -> list[str]:
        return validation.stored_answers(controller, self.initial.get(input_name(controller)))

    def _hidden_names(self, answers: Callable[[TicketField], list[str]]) -> set[str]:
        return {input_name(field) for field in hidden_fields(self.ticket_fields, answers)}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self._hidden:
            cleaned.pop(name, None)
            self.errors.pop(name, None)
        return cleaned

    def values(self) -> dict[TicketField, JsonValue | None]:
        """Each shown field's value as stored, None for no value.

        A hidden field is left out of a customer's new ticket, and has no value (None) after an agent's save.
        """
        values: dict[TicketField, JsonValue | None] = {}
        for field in self.ticket_fields:
            name = input_name(field)
            if name not in self._hidden:
                values[field] = validation.stored(field, self.cleaned_data.get(name))
            elif not self.for_customer:
                values[field] = None
        return values

    def rows(self) -> list[FieldRow]:
        """Each bound field with its definition and the input its condition reads, for the template."""
        by_id = {field.pk: field for field in self.ticket_fields}
        rows = []
        for field in self.ticket_fields:
            controller = by_id.get(field.shown_when_field_id) if field.shown_when_field_id else None
            # A condition on a field this form does not ask is never met: the field stays hidden.
            shown_when = "-" if field.shown_when_field_id else ""
            if controller is not None:
                shown_when = self.add_prefix(input_name(controller))
            name = input_name(field)
            hidden = not self.for_customer and name in self._hidden
            rows.append(FieldRow(self[name], field, self.add_prefix(name), shown_when, hidden))
        return rows


def customer_fields_form(chosen: TicketForm | None, data: Any = None) -> FieldsForm:
    """The fields of the form the customer chose (none without a form: today's form, unchanged)."""
    fields = customer_fields(chosen) if chosen is not None else []
    return FieldsForm(data, ticket_fields=fields, for_customer=True)
