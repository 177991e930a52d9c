"""Ending a ticket's life from the workspace: merging it into another, or (admins) deleting it; each confirmed first."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from comptoir.accounts.models import Role
from comptoir.tickets import services
from comptoir.tickets.merging import MergePlan, MergeRefused, merge_plan, tickets_merge
from comptoir.tickets.models import Ticket
from comptoir.workspace import selectors
from comptoir.workspace.access import Refusal, agent_required, current_agent
from comptoir.workspace.forms import MERGE_MAX, BulkSelectionForm, MergeForm


def _refusal(refused: MergeRefused) -> str:
    reference = refused.ticket.reference
    return {
        MergeRefused.CLOSED_TARGET: gettext("Ticket #%(reference)s is closed: nothing can be merged into it."),
        MergeRefused.CLOSED_SOURCE: gettext("Ticket #%(reference)s is closed: it cannot be merged."),
        MergeRefused.SAME_TICKET: gettext("A ticket cannot be merged into itself (#%(reference)s)."),
    }[refused.reason] % {"reference": reference}


@require_http_methods(["GET", "POST"])
@agent_required
def merge(request: HttpRequest, reference: int) -> HttpResponse:
    """GET: what merging this ticket into the one named would do, to confirm. POST: do it."""
    return _merge_page(request, [selectors.ticket_or_404(reference)])


@require_http_methods(["GET", "POST"])
@agent_required
def merge_selected(request: HttpRequest) -> HttpResponse:
    """The tickets ticked in the list (``tickets``), merged into one: the same page as for one ticket.

    The list's *Merge into…* leads here with the number typed and the choice to
    tell; a ticket ticked with the others and named as the target is the one kept.
    """
    data = request.POST if request.method == "POST" else request.GET
    selection = BulkSelectionForm(data)
    if not selection.is_valid():
        for errors in selection.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect("agent_tickets")
    ids = list(dict.fromkeys(selection.cleaned_data["tickets"]))
    if selection.cleaned_data["every"] or not ids:
        messages.error(request, gettext("Tick the tickets to merge: a whole list is not merged at once."))
        return redirect("agent_tickets")
    if len(ids) > MERGE_MAX:
        messages.error(request, gettext("Merge at most %(limit)s tickets at a time.") % {"limit": MERGE_MAX})
        return redirect("agent_tickets")
    found = {ticket.pk: ticket for ticket in Ticket.objects.select_related("requester").filter(pk__in=ids)}
    missing = [Ticket(pk=pk).reference for pk in ids if pk not in found]
    if not found:
        messages.error(request, gettext("No longer there: %(tickets)s.") % {"tickets": _numbers(missing)})
        return redirect("agent_tickets")
    return _merge_page(request, [found[pk] for pk in ids if pk in found], selected=True, missing=missing)


def _numbers(references: list[int]) -> str:
    return ", ".join(f"#{reference}" for reference in references)


def _merge_page(
    request: HttpRequest, sources: list[Ticket], *, selected: bool = False, missing: list[int] | None = None
) -> HttpResponse:
    """Merging ``sources`` (one ticket, or those ticked in the list when ``selected``): asked, confirmed, done."""
    # The page opens empty from the ticket's "Merge" link, and checks the number once one is given.
    data = request.POST if request.method == "POST" else (request.GET if "into" in request.GET else None)
    form = MergeForm(data)
    plan: MergePlan | None = None
    if form.is_valid():
        target = form.cleaned_data["into"]
        if selected:
            # Ticking the ticket to keep along with its duplicates is natural: it is the target, not a source.
            sources = [source for source in sources if source.pk != target.pk] or sources
        try:
            plan = merge_plan(sources, target)
        except MergeRefused as refused:
            form.add_error("into", _refusal(refused))
    if plan is not None and request.method == "POST":
        try:
            done = tickets_merge(
                plan.sources, plan.target, agent=current_agent(request), tell_requesters=form.tell_requesters
            )
        except MergeRefused as refused:  # changed since the confirmation page: said there again
            form.add_error("into", _refusal(refused))
        else:
            if len(done.sources) == 1:
                text = gettext("Ticket #%(source)s was merged into this one.") % {"source": done.sources[0].reference}
            else:
                references = _numbers([source.reference for source in done.sources])
                text = gettext("Tickets %(sources)s were merged into this one.") % {"sources": references}
            messages.success(request, text)
            return redirect("agent_ticket", done.target.reference)
    if plan is not None:
        # The confirmation's own form: the target fixed, the requesters told unless the agent says otherwise.
        form = MergeForm(initial={"into": plan.target.reference, "tell": form.data.get("tell", "yes")})
    context = {
        "source": sources[0],
        "sources": sources,
        "selected": selected,
        "missing": _numbers(missing or []),
        "form": form,
        "plan": plan,
    }
    return render(request, "workspace/merge.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@agent_required
def delete(request: HttpRequest, reference: int) -> HttpResponse:
    """Admins only: GET asks to confirm, saying what goes; POST deletes the ticket for good."""
    admin = current_agent(request)
    if admin.role != Role.ADMIN:
        raise PermissionDenied(Refusal.ADMINS_ONLY)
    ticket = selectors.ticket_or_404(reference, counted=True)
    if request.method == "POST":
        services.ticket_delete(ticket, admin=admin)
        messages.success(request, gettext("Ticket #%(reference)s is deleted.") % {"reference": reference})
        return redirect("agent_tickets")
    merged_in = list(ticket.merged_tickets.values_list("id", flat=True))
    context = {"ticket": ticket, "merged_in": [Ticket(pk=pk).reference for pk in merged_in]}
    return render(request, "workspace/delete.html", context)
