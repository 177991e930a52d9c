"""The requester's own space: "My tickets" and what each status means."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from comptoir.accounts.models import User
from comptoir.portal import selectors
from comptoir.portal.responses import no_store
from comptoir.tickets import access
from comptoir.tickets.statuses import REQUESTER_HELP, REQUESTER_HELP_ORDER, status_anchor

PAGE_SIZE = 25


@require_GET
@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    if not access.has_verified_address(request):
        # Tickets are shown only to whoever proved the address they were opened with.
        return render(request, "portal/unverified.html", {"email": user.email})
    key = request.GET.get("status", selectors.DEFAULT_FILTER)
    current = selectors.status_filter(key)
    query = request.GET.get("q", "").strip()[:200]
    tickets = selectors.requester_tickets(user=user, key=current.key, query=query)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.tab_counts(user)
    rows = [
        {"ticket": ticket, "help": REQUESTER_HELP[ticket.status], "anchor": status_anchor(ticket.status)}
        for ticket in page.object_list
    ]
    kept = {name: value for name, value in (("status", current.key), ("q", query)) if value}
    context = {
        "tabs": [(tab, counts[tab.key]) for tab in selectors.TABS],
        "filters": selectors.FILTERS,
        "current": current,
        "query": query,
        "page": page,
        "rows": rows,
        "pagination_query": urlencode(kept),
        # Said above the list, so nobody wonders why a colleague's ticket is there.
        "shared_organisation": selectors.sharing_organisation(user),
        "filtered": bool(query) or current.key != selectors.DEFAULT_FILTER,
    }
    return no_store(render(request, "portal/my_tickets.html", context))


@require_GET
def statuses_help(request: HttpRequest) -> HttpResponse:
    statuses = [
        {"status": status, "label": status.label, "help": REQUESTER_HELP[status], "anchor": status_anchor(status)}
        for status in REQUESTER_HELP_ORDER
    ]
    return render(request, "portal/statuses.html", {"statuses": statuses})
