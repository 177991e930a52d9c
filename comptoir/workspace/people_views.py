"""Who a ticket is for: tickets an agent opens for a customer, and a ticket given to another requester."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from comptoir.tickets import services
from comptoir.tickets.files import attachment_rules
from comptoir.workspace import selectors
from comptoir.workspace.access import agent_required, current_agent
from comptoir.workspace.forms import RequesterForm, TicketOnBehalfForm


@require_http_methods(["GET", "POST"])
@agent_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    """Open a ticket for a customer; a form with a mistake comes back with everything typed."""
    agent = current_agent(request)
    if request.method == "POST":
        form = TicketOnBehalfForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            ticket = services.ticket_create(
                email=data["email"],
                name=data["name"],
                subject=data["subject"],
                description=data["body"],
                ticket_type=data["type"],
                language=data["language"],
                channel=data["channel"],
                files=data["attachments"],
                opened_by=agent,
                written_by_agent=data["written_by"] == "agent",
                confirm=data["confirm"],
                priority=data["priority"],
                assignee=agent if data["assign_to_me"] else None,
            )
            messages.success(
                request,
                gettext("Ticket #%(reference)s is open for %(name)s.")
                % {"reference": ticket.reference, "name": ticket.requester.get_full_name()},
            )
            return redirect("agent_ticket", ticket.reference)
        status = 400
    else:
        form = TicketOnBehalfForm(initial={"language": translation.get_language()})
        status = 200
    context = {"form": form, "rules": attachment_rules()}
    return render(request, "workspace/ticket_new.html", context, status=status)


@require_GET
@agent_required
def people_suggestions(request: HttpRequest) -> HttpResponse:
    """Customers whose address or name starts like what the agent typed, for the requester fields."""
    typed = request.GET.get("email", "").strip()[:254]
    people = selectors.people_starting(typed) if len(typed) >= 2 else []
    return render(request, "workspace/_people_options.html", {"people": people})


@require_POST
@agent_required
def requester_change(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = selectors.ticket_or_404(reference)
    form = RequesterForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Enter a valid e-mail address for the new requester."))
    elif services.ticket_change_requester(
        ticket, email=form.cleaned_data["email"], name=form.cleaned_data["name"], actor=current_agent(request)
    ):
        messages.success(
            request, gettext("The ticket's requester is changed; the former requester's links no longer open it.")
        )
    else:
        messages.info(request, gettext("This person is already the ticket's requester."))
    return redirect("agent_ticket", ticket.reference)
