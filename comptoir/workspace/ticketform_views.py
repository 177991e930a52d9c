"""Ticket fields and forms in the workspace: the administrators' pages, and an agent's edit of a ticket's values."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.ticketforms import selectors as field_selectors
from comptoir.ticketforms import services as field_services
from comptoir.ticketforms import validation
from comptoir.ticketforms.admin_forms import TicketFieldForm, TicketFormForm
from comptoir.ticketforms.forms import FieldsForm, controllers_first, input_name
from comptoir.ticketforms.models import TicketField, TicketForm
from comptoir.ticketforms.solving import missing_by_ticket, quoted
from comptoir.tickets.models import Status, Ticket
from comptoir.workspace import selectors
from comptoir.workspace.access import admin_required, agent_required, current_agent


def agent_fields_form(ticket: Ticket, data: object = None) -> FieldsForm | None:
    """The ticket page's "Fields" card: every field, none required; None when no field is defined.

    Conditions apply as on the customer's form: a field whose condition the ticket's values do not
    meet is hidden, and its value not kept when the card is saved. Each field comes after the one
    its condition reads, so that both the server and conditional-fields.js settle it in page order.
    """
    fields = controllers_first(field_selectors.agent_fields(ticket))
    if not fields:
        return None
    initial = {
        input_name(field): validation.initial(field, field.ticket_value)  # type: ignore[attr-defined]  # annotated
        for field in fields
    }
    return FieldsForm(data, ticket_fields=fields, for_customer=False, initial=initial, prefix="fields")


def solve_refusal(ticket: Ticket) -> str | None:
    """Why an agent may not solve ``ticket`` yet (fields required to solve, without a value), or None."""
    if ticket.status == Status.SOLVED:
        return None
    # The same reading as the guard every other path goes through (comptoir.ticketforms.solving), conditions included.
    missing = missing_by_ticket([ticket]).get(ticket.pk)
    if not missing:
        return None
    return ngettext(
        "This ticket cannot be solved yet: fill in the field “%(fields)s” first (in the “Fields” card).",
        "This ticket cannot be solved yet: fill in the fields %(fields)s first (in the “Fields” card).",
        len(missing),
    ) % {"fields": ", ".join(quoted(field.label) for field in missing) if len(missing) > 1 else missing[0].label}


@require_POST
@agent_required
def ticket_fields_update(request: HttpRequest, reference: int) -> HttpResponse:
    ticket: Ticket = selectors.ticket_or_404(reference, viewer=current_agent(request))
    form = agent_fields_form(ticket, request.POST)
    page = reverse("agent_ticket", args=[ticket.reference])
    if form is None:
        return redirect(page)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            messages.error(request, f"{label}{gettext(':')} {' '.join(str(error) for error in errors)}")
        return redirect(page + "#fields-title")
    changed = field_services.ticket_values_update(ticket=ticket, values=form.values(), actor=current_agent(request))
    if changed:
        messages.success(request, gettext("Fields saved."))
    return redirect(page + "#fields-title")


@require_GET
@admin_required
def ticketform_settings(request: HttpRequest) -> HttpResponse:
    context = {"fields": field_selectors.fields_with_forms(), "forms": field_selectors.forms_with_fields()}
    return render(request, "ticketforms/settings.html", context)


@require_http_methods(["GET", "POST"])
@admin_required
def ticket_field_edit(request: HttpRequest, field_id: int | None = None) -> HttpResponse:
    field = get_object_or_404(TicketField, pk=field_id) if field_id is not None else None
    form = TicketFieldForm(request.POST or None, instance=field)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, gettext("Field saved."))
        return redirect("agent_ticketform_settings")
    status = 400 if form.errors else 200
    return render(request, "ticketforms/field.html", {"form": form, "field": field}, status=status)


@require_http_methods(["GET", "POST"])
@admin_required
def ticket_form_edit(request: HttpRequest, form_id: int | None = None) -> HttpResponse:
    ticket_form = get_object_or_404(TicketForm, pk=form_id) if form_id is not None else None
    form = TicketFormForm(request.POST or None, instance=ticket_form)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            field_services.form_fields_set(form=saved, fields=form.chosen_fields())
        messages.success(request, gettext("Form saved."))
        return redirect("agent_ticketform_settings")
    status = 400 if form.errors else 200
    return render(request, "ticketforms/form.html", {"form": form, "ticket_form": ticket_form}, status=status)
