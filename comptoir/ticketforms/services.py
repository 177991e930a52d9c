"""Writes: a ticket's values (when the customer sends, when an agent edits), fields and forms.

A customer's values are part of the ticket they send (its "created" event says so);
an agent's edit records one "field" event per value changed, in the same
transaction, for the history and the event backbone's subscribers.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from django.db import transaction
from django.utils.translation import gettext

from comptoir.accounts.models import User
from comptoir.ticketforms import context, validation
from comptoir.ticketforms.models import FieldValue, FormField, TicketContext, TicketField, TicketForm
from comptoir.ticketforms.selectors import values_of
from comptoir.ticketforms.validation import JsonValue
from comptoir.tickets.history import change_begin, change_continue
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
    before = values_of(ticket)
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
def ticket_values_set_by_rule(
    *, ticket_id: int, values: Mapping[TicketField, JsonValue | None], change: uuid.UUID | None = None
) -> uuid.UUID | None:
    """A business rule's "set a field" (comptoir.rules.actions): as an agent's edit, as nobody, in the rule's change.

    ``change``: the change the rule's other actions wrote in this transaction, which these events join
    (a rule's firing is one change of the history); None starts one. The caller holds the ticket's row
    and acts only on tickets still worked on. Returns the change, None when no value changed.
    """
    before = dict(
        FieldValue.objects.filter(ticket_id=ticket_id, field__in=list(values)).values_list("field_id", "value")
    )
    ticket = Ticket(pk=ticket_id)
    recorder = None
    for field, value in values.items():
        old = before.get(field.pk)
        if old == value:
            continue
        _write(ticket, field, value)
        if recorder is None:
            recorder = change_continue(ticket_id, change, actor=None) if change else change_begin(ticket, actor=None)
        summary = gettext("%(label)s: %(old)s → %(new)s") % {
            "label": field.label,
            "old": validation.shown(field, old) or "—",
            "new": validation.shown(field, value) or "—",
        }
        recorder.record(EventKind.FIELD, old=field.key, new=summary)
    return recorder.id if recorder is not None else None


@transaction.atomic
def form_fields_set(*, form: TicketForm, fields: Sequence[TicketField]) -> None:
    """The form asks ``fields``, in this order. Tickets sent before keep their values."""
    FormField.objects.filter(form=form).delete()
    FormField.objects.bulk_create(
        FormField(form=form, field=field, position=position) for position, field in enumerate(fields)
    )


def ticket_context_record(*, ticket: Ticket, payload: context.Payload) -> TicketContext | None:
    """The context the customer's browser sent with a new ticket, once; None when it said nothing usable.

    Called only when the customer left "Send technical details" ticked. The pages are read now:
    one that is no page of ours, or an article that is not published, is left out.
    """
    came_from = context.page_seen(payload.came_from) if payload.came_from else None
    article = context.last_article(payload.article) if payload.article else None
    if not (payload.browser or payload.system or payload.screen_width or payload.language or came_from or article):
        return None
    return TicketContext.objects.create(
        ticket=ticket,
        browser=payload.browser,
        system=payload.system,
        screen_width=payload.screen_width,
        screen_height=payload.screen_height,
        language=payload.language,
        came_from=came_from.path if came_from else "",
        came_from_kind=came_from.kind if came_from else "",
        came_from_title=came_from.title if came_from else "",
        article_path=article.path if article else "",
        article_title=article.title if article else "",
    )
