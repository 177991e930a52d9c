"""Writes: a ticket's values (when the customer sends, when an agent edits), fields and forms.

A customer's values are part of the ticket they send (its "created" event says so);
an agent's edit records one "field" event per value changed, in the same
transaction, for the history and the event backbone's subscribers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext

from comptoir.accounts.models import User
from comptoir.ticketforms import validation
from comptoir.ticketforms.models import FieldValue, FormField, TicketField, TicketForm
from comptoir.ticketforms.validation import JsonValue
from comptoir.tickets.history import change_begin
from comptoir.tickets.models import EventKind, Ticket


def _write(ticket: Ticket, field: TicketField, value: JsonValue | None) -> None:
    if value is None:
        FieldValue.objects.filter(ticket=ticket, field=field).delete()
    else:
        FieldValue.objects.update_or_create(
            ticket=ticket, field=field, defaults={"value": value, "text": validation.searchable(value)}
        )


@transaction.atomic
def ticket_values_record(*, ticket: Ticket, values: Mapping[TicketField, JsonValue | None]) -> None:
    """The values a customer sent with a new ticket (no value, no row)."""
    FieldValue.objects.bulk_create(
        FieldValue(ticket=ticket, field=field, value=value, text=validation.searchable(value))
        for field, value in values.items()
        if value is not None
    )


@transaction.atomic
def ticket_values_update(*, ticket: Ticket, values: Mapping[TicketField, JsonValue | None], actor: User) -> int:
    """An agent's edit: each changed value written and recorded in the history. Returns how many changed."""
    Ticket.objects.select_for_update(of=("self",)).filter(pk=ticket.pk).first()
    before = dict(FieldValue.objects.filter(ticket=ticket).values_list("field_id", "value"))
    recorder = None
    changed = 0
    for field, value in values.items():
        old = before.get(field.pk)
        if old == value:
            continue
        _write(ticket, field, value)
        if recorder is None:
            recorder = change_begin(ticket, actor=actor)
        summary = gettext("%(label)s: %(old)s → %(new)s") % {
            "label": field.label,
            "old": validation.shown(field, old) or "—",
            "new": validation.shown(field, value) or "—",
        }
        recorder.record(EventKind.FIELD, old=field.key, new=summary)
        changed += 1
    return changed


@transaction.atomic
def form_fields_set(*, form: TicketForm, fields: Sequence[TicketField]) -> None:
    """The form asks ``fields``, in this order. Tickets sent before keep their values."""
    FormField.objects.filter(form=form).delete()
    FormField.objects.bulk_create(
        FormField(form=form, field=field, position=position) for position, field in enumerate(fields)
    )
