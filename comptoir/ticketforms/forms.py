"""The forms that ask a ticket's fields: the customer's (with conditions) and the agent's."""

from __future__ import annotations

from collections.abc import Sequence
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


def input_name(field: TicketField) -> str:
    return f"field_{field.key}"


class FieldsForm(forms.Form):
    """The given fields, in order. On the customer's side, required ones are required and conditions apply.

    A field whose condition is not met is hidden on the page (conditional-fields.js) and, here,
    neither required nor kept, whatever was typed in it.
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
        if for_customer and self.is_bound:
            self._hidden = self._hidden_names()
            for name in self._hidden:
                self.fields[name].required = False

    def _hidden_names(self) -> set[str]:
        by_id = {field.pk: field for field in self.ticket_fields}
        hidden: set[str] = set()
        # Fields come in form order, so a condition on an earlier field is settled first;
        # a condition on a later field or on a field not on this form is settled as unmet.
        settled: set[int] = set()
        for field in self.ticket_fields:
            controller = by_id.get(field.shown_when_field_id) if field.shown_when_field_id else None
            if field.shown_when_field_id is not None:
                met = (
                    controller is not None
                    and controller.pk in settled
                    and input_name(controller) not in hidden
                    and validation.condition_met(
                        field.shown_when_value,
                        validation.raw_answers(controller, self.data, self.add_prefix(input_name(controller))),
                    )
                )
                if not met:
                    hidden.add(input_name(field))
            settled.add(field.pk)
        return hidden

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in self._hidden:
            cleaned.pop(name, None)
            self.errors.pop(name, None)
        return cleaned

    def values(self) -> dict[TicketField, JsonValue | None]:
        """Each shown field's value as stored, None for no value; hidden fields are left out."""
        return {
            field: validation.stored(field, self.cleaned_data.get(input_name(field)))
            for field in self.ticket_fields
            if input_name(field) not in self._hidden
        }

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
            rows.append(FieldRow(self[input_name(field)], field, self.add_prefix(input_name(field)), shown_when))
        return rows


def customer_fields_form(chosen: TicketForm | None, data: Any = None) -> FieldsForm:
    """The fields of the form the customer chose (none without a form: today's form, unchanged)."""
    fields = customer_fields(chosen) if chosen is not None else []
    return FieldsForm(data, ticket_fields=fields, for_customer=True)
