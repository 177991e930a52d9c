"""An agent says they are away (their groups' automatic assignment passes them by) or back."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from comptoir.rules.assignment import agent_away_set
from comptoir.workspace.access import agent_required, current_agent


@require_POST
@agent_required
def availability(request: HttpRequest) -> HttpResponse:
    away = request.POST.get("away") == "1"
    agent_away_set(current_agent(request), away)
    messages.success(
        request,
        gettext("You are away: new tickets of your groups are assigned to the others.")
        if away
        else gettext("You are back: new tickets of your groups may be assigned to you again."),
    )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect(back)
    return redirect("agent_tickets")
