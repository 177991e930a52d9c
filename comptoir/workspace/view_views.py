"""Saving the list as a view, moving a view up or down the side bar, deleting it."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from comptoir.accounts.models import Role
from comptoir.tickets.models import SupportGroup
from comptoir.workspace.access import agent_required, current_agent
from comptoir.workspace.forms import SavedViewForm
from comptoir.workspace.listing import saved_params
from comptoir.workspace.models import SavedView, Visibility, views_for


def _opened(view: SavedView) -> HttpResponse:
    return redirect(reverse("agent_tickets") + f"?saved={view.pk}")


@require_POST
@agent_required
def view_save(request: HttpRequest) -> HttpResponse:
    """Keep the list as a new view, or as the new filters of a view the agent may change (an admin: shared ones)."""
    agent = current_agent(request)
    replaceable = [view for view in views_for(agent) if view.editable_by(agent)]
    form = SavedViewForm(request.POST, groups=list(SupportGroup.objects.all()), replaceable=replaceable)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(reverse("agent_tickets") + "?" + saved_params(QueryDict(form.data.get("params", ""))))
    data = form.cleaned_data
    params = saved_params(QueryDict(data["params"]))
    replaced: SavedView | None = data["replace"]
    if replaced is not None:
        # Who sees it stays as it was: changing a view's filters never hands it to others, nor takes it from them.
        replaced.params = params
        replaced.name = data["name"] or replaced.name
        if not SavedView.objects.filter(pk=replaced.pk).update(params=replaced.params, name=replaced.name):
            # Deleted by someone else since the page showed it.
            messages.error(request, gettext("That view no longer exists: save the list as a new view."))
            return redirect(reverse("agent_tickets") + "?" + params)
        messages.success(request, gettext("The view “%(name)s” is changed.") % {"name": replaced.label})
        return _opened(replaced)
    visibility = data["visibility"]
    if visibility != Visibility.PERSONAL and agent.role != Role.ADMIN:
        # Agents keep views for themselves; what every agent sees is an admin's to decide.
        visibility = Visibility.PERSONAL
        messages.info(request, gettext("Only admins share views: this one is yours alone."))
    with transaction.atomic():
        last = SavedView.objects.aggregate(last=Max("position"))["last"] or 0
        view = SavedView.objects.create(
            name=data["name"],
            owner=agent,
            visibility=visibility,
            group=data["group"] if visibility == Visibility.GROUP else None,
            params=params,
            position=last + 1,
        )
    messages.success(request, gettext("The view “%(name)s” is saved.") % {"name": view.name})
    return _opened(view)


def _editable(request: HttpRequest, pk: int) -> SavedView:
    agent = current_agent(request)
    view = views_for(agent).filter(pk=pk).first()
    if view is None or not view.editable_by(agent):
        raise Http404
    return view


@require_POST
@agent_required
def view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = _editable(request, pk)
    view.delete()
    messages.success(request, gettext("The view “%(name)s” is deleted.") % {"name": view.label})
    return redirect("agent_tickets")


@require_POST
@agent_required
def view_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Swap the view with the one before it (up) or after it (down) among those the agent may change."""
    view = _editable(request, pk)
    agent = current_agent(request)
    # Among the views this agent may change: moving one's own view never reorders a colleague's.
    ordered = [each for each in views_for(agent).order_by("position", "name", "id") if each.editable_by(agent)]
    index = next(n for n, other in enumerate(ordered) if other.pk == view.pk)
    neighbour = index - 1 if request.POST.get("direction") == "up" else index + 1
    if 0 <= neighbour < len(ordered):
        other = ordered[neighbour]
        with transaction.atomic():
            # Positions renumbered in the order shown, the two swapped: equal positions become distinct.
            ordered[index], ordered[neighbour] = other, view
            for position, each in enumerate(ordered, start=1):
                if each.position != position:
                    SavedView.objects.filter(pk=each.pk).update(position=position)
    return _opened(view)
