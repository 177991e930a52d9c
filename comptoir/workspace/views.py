"""The agent workspace: ticket views, the ticket page, one submit per action."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.models import Organisation, User
from comptoir.accounts.services import requester_set_organisation
from comptoir.notifications.models import AgentNotice
from comptoir.tickets import access, services
from comptoir.tickets.blocks import BlockScope
from comptoir.tickets.files import attachment_rules
from comptoir.tickets.models import EventKind, Macro, Status, SupportGroup, Survey, Ticket, TicketCC
from comptoir.tickets.presence import presence_others, presence_record
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from comptoir.tickets.tags import tag_names
from comptoir.workspace import selectors
from comptoir.workspace.access import agent_required, current_agent
from comptoir.workspace.bulk import bulk_report
from comptoir.workspace.forms import (
    AgentUpdateForm,
    BulkSelectionForm,
    BulkUpdateForm,
    CCForm,
    PresenceForm,
    SavedViewForm,
    SpamForm,
)
from comptoir.workspace.listing import listing, saved_params
from comptoir.workspace.macros import macro_entries
from comptoir.workspace.models import SavedView, views_for
from comptoir.workspace.paging import keyset_page
from comptoir.workspace.rows import list_rows
from comptoir.workspace.search import search_excerpts
from comptoir.workspace.search_query import parse_search


@require_GET
def after_login(request: HttpRequest) -> HttpResponse:
    return redirect("agent_tickets" if access.is_agent(request) else "my_tickets")


@require_GET
@agent_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    saved = _saved_view(request, agent)
    params: QueryDict = request.GET
    if saved is not None:
        # The saved view's filters, search and sort; the page comes from the address.
        params = QueryDict(saved.params, mutable=True)
        for name in ("after", "before"):
            if name in request.GET:
                params[name] = request.GET[name]
    query = parse_search(params.get("q", "").strip()[:500])
    # A ticket's number alone opens that ticket, when there is one.
    alone = len(query.references) == 1 and not (query.words or query.filters)
    if alone and Ticket.objects.filter(pk=Ticket.pk_from_reference(query.references[0])).exists():
        return redirect("agent_ticket", query.references[0])
    agents = list(selectors.agents())
    groups = list(SupportGroup.objects.all())
    listed = listing(params, agent, agents=agents, groups=groups)
    page = keyset_page(
        listed.rows,
        selectors.SORTS[listed.filters.ordering()],
        after=params.get("after", ""),
        before=params.get("before", ""),
        size=selectors.PAGE_SIZE,
    )
    address = request.GET.copy()
    for name in ("after", "before", "page"):
        address.pop(name, None)
    saved_views = list(views_for(agent).select_related("owner"))
    counted = [listing(QueryDict(view.params), agent, agents=agents, groups=groups).rows for view in saved_views]
    counts = selectors.workspace_counts(agent, listed.rows, counted)
    context = {
        "views": [(view, counts.views[view.key]) for view in selectors.VIEWS],
        "saved_views": list(zip(saved_views, counts.saved, strict=True)),
        "saved": saved,
        "quarantined": counts.quarantined,
        "listed": counts.listed,
        "current_view": next(view for view in selectors.VIEWS if view.key == listed.view_key),
        "view_key": listed.view_key,
        "filters": listed.filters,
        "page": page,
        "rows": list_rows(page.rows, search_excerpts(listed.query, [ticket.pk for ticket in page.rows])),
        "query": address.urlencode(),
        "searched": listed.typed,
        "search_notices": listed.search.notices,
        "filtered": any(params.get(name) for name in ("status", "assignee", "group", "type", "priority")),
        "bulk_form": BulkUpdateForm(agents=agents, groups=groups, auto_id="bulk-%s"),
        "save_form": SavedViewForm(groups=groups, auto_id="save-%s"),
        "saved_params": saved_params(params),
    }
    return render(request, "workspace/list.html", context)


def _saved_view(request: HttpRequest, agent: User) -> SavedView | None:
    """The saved view the address names (?saved=12), if this agent may see it; 404 otherwise."""
    key = request.GET.get("saved", "")
    if not key:
        return None
    # A number an id column can hold: a longer one names nothing (and must not overflow the query).
    well_formed = key.isascii() and key.isdigit() and len(key) <= 18
    saved = views_for(agent).filter(pk=int(key)).first() if well_formed else None
    if saved is None:
        raise Http404
    return saved


@require_POST
@agent_required
def bulk_update(request: HttpRequest) -> HttpResponse:
    """Set the fields, tags or status chosen on the tickets ticked in the list, or mark them as spam."""
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("agent_tickets")
    form: BulkSelectionForm
    if request.POST.get("action") == "spam":
        # Only the ticked tickets matter: the panel's fields are not read.
        form = BulkSelectionForm(request.POST)
    else:
        form = BulkUpdateForm(request.POST, agents=list(selectors.agents()), groups=list(SupportGroup.objects.all()))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(back)
    agent, tickets = current_agent(request), form.cleaned_data["tickets"]
    if isinstance(form, BulkUpdateForm):
        status = form.cleaned_data["status"] or None
        outcome = services.tickets_update_in_bulk(tickets, agent=agent, changes=form.changes(), status=status)
    else:
        outcome = services.tickets_mark_spam_in_bulk(tickets, agent=agent)
    for level, text in bulk_report(outcome):
        messages.add_message(request, level, text)
    return redirect(back)


def _tags(ticket: Ticket) -> list[str]:
    return [tag.name for tag in ticket.tags.all()]


def _update_form(ticket: Ticket, data: Any = None, files: Any = None) -> AgentUpdateForm:
    initial = {
        "priority": ticket.priority,
        "type": ticket.type,
        "assignee": ticket.assignee,
        "group": ticket.group,
        "tags": " ".join(_tags(ticket)),
        "tags_shown": " ".join(_tags(ticket)),
    }
    return AgentUpdateForm(data, files, initial=initial, agents=selectors.agents(), groups=SupportGroup.objects.all())


def _render_ticket(request: HttpRequest, ticket: Ticket, form: AgentUpdateForm, status: int = 200) -> HttpResponse:
    context = {
        "ticket": ticket,
        "conversation": selectors.conversation(
            ticket,
            total=ticket.message_count,  # type: ignore[attr-defined]  # annotated: selectors.ticket_or_404(counted=True)
            everything=request.GET.get("all") == "1",
        ),
        "events": ticket.events.select_related("actor").exclude(kind__in=(EventKind.REPLY, EventKind.NOTE)),
        "other_tickets": selectors.other_tickets(ticket),
        "ccs": ticket.ccs.all(),
        "cc_form": CCForm(),
        "spam_form": SpamForm(auto_id="spam-%s"),
        "delivery_problems": selectors.delivery_problems(ticket),
        "surveys": Survey.objects.filter(ticket=ticket, answered_at__isnull=False).order_by("-answered_at"),
        "form": form,
        "property_fields": form.property_fields(),
        "submit_statuses": AGENT_SUBMIT_STATUSES,
        "is_closed": ticket.status == Status.CLOSED,
        "tags": _tags(ticket) if ticket.status == Status.CLOSED else [],
        "rules": attachment_rules(),
    }
    response = render(request, "workspace/ticket.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"  # a ticket's conversation is never kept by a cache
    return response


@require_GET
@agent_required
def ticket_page(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = selectors.ticket_or_404(reference, counted=True)
    return _render_ticket(request, ticket, _update_form(ticket))


@require_POST
@agent_required
def ticket_update(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = selectors.ticket_or_404(reference, counted=True)  # a refused update shows the page again
    form = _update_form(ticket, request.POST, request.FILES)
    if not form.is_valid():
        return _render_ticket(request, ticket, form, status=400)
    data = form.cleaned_data
    changes = form.property_changes()
    add_tags, remove_tags = form.tag_changes(_tags(ticket))
    try:
        message = services.ticket_update_by_agent(
            ticket,
            agent=current_agent(request),
            body=data["body"],
            is_public=form.is_public,
            files=data["attachments"],
            status=data["status"] or None,
            priority=changes.get("priority") or None,
            ticket_type=changes.get("type") or None,
            assignee=changes.get("assignee", services.UNCHANGED),
            group=changes.get("group", services.UNCHANGED),
            add_tags=add_tags,
            remove_tags=remove_tags,
        )
    except services.TicketClosed:
        # The service refuses anything but an internal note on a closed ticket.
        form.add_error(
            None,
            gettext(
                "This ticket is closed: only internal notes can be added. A reply from the requester opens a follow-up."
            ),
        )
        return _render_ticket(request, ticket, form, status=400)
    anchor = f"#message-{message.pk}" if message is not None else ""
    return redirect(reverse("agent_ticket", args=[ticket.reference]) + anchor)


@require_POST
@agent_required
def ticket_take(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = selectors.ticket_or_404(reference)
    # The page offers no "Assign to me" on a closed ticket; a stale page's click changes nothing.
    with contextlib.suppress(services.TicketClosed):
        services.ticket_take(ticket, agent=current_agent(request))
    return redirect("agent_ticket", ticket.reference)


@require_POST
@agent_required
def ticket_spam(request: HttpRequest, reference: int) -> HttpResponse:
    """Close the ticket as spam, and block its sender for new tickets if the agent chose to."""
    ticket = selectors.ticket_or_404(reference)
    form = SpamForm(request.POST)
    scope = form.scope() if form.is_valid() else BlockScope.NONE
    blocked = services.ticket_mark_spam(ticket, agent=current_agent(request), block=scope)
    text = gettext("Ticket #%(reference)s is marked as spam and closed.") % {"reference": ticket.reference}
    if blocked is not None:
        text += " " + gettext("New tickets from %(pattern)s are refused.") % {"pattern": blocked.pattern}
    messages.success(request, text)
    return redirect("agent_tickets")


@require_POST
@agent_required
def presence(request: HttpRequest, reference: int) -> HttpResponse:
    """Check in this agent on the ticket and list the other agents viewing or replying to it."""
    ticket = selectors.ticket_or_404(reference)
    form = PresenceForm(request.POST)
    composing = form.is_valid() and form.cleaned_data["composing"]
    agent = current_agent(request)
    checked_in = presence_record(ticket=ticket, agent=agent, composing=composing)
    # The agent has the ticket open: its notices are read (a POST, as every check-in).
    AgentNotice.objects.filter(recipient=agent, ticket=ticket, read_at__isnull=True).update(read_at=timezone.now())
    others = presence_others(checked_in)
    return render(request, "workspace/_presence.html", {"others": list(others)})


@require_POST
@agent_required
def cc_add(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = selectors.ticket_or_404(reference)
    form = CCForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Enter a valid e-mail address to copy someone on the ticket."))
    elif not services.ticket_add_ccs(
        ticket, [(form.cleaned_data["name"], form.cleaned_data["email"])], actor=current_agent(request)
    ):
        messages.error(request, gettext("This address is already on the ticket, or is one of ours."))
    return redirect("agent_ticket", ticket.reference)


@require_GET
@agent_required
def ticket_macros(request: HttpRequest, reference: int) -> HttpResponse:
    """The canned replies, filled in for this ticket: fetched when the agent first reaches for one.

    Not on the ticket page itself: most answers use none, and a team's hundreds of
    canned replies would weigh on every page and cost it a query.
    """
    ticket = selectors.ticket_or_404(reference)
    entries = macro_entries(Macro.objects.filter(is_active=True), ticket, current_agent(request))
    response = render(request, "workspace/_macro_options.html", {"macros": entries})
    response.headers["Cache-Control"] = "no-store"  # filled in with the ticket's requester and subject
    return response


@require_GET
@agent_required
def tag_suggestions(request: HttpRequest) -> HttpResponse:
    """Existing tags starting like the last one typed, each offered as the whole field's value with it."""
    typed = request.GET.get("tags", "")[:1000]
    names = tag_names(typed)
    # Nothing to complete once the agent has typed a separator after the last tag.
    start = names.pop() if names and typed[-1:].strip(",; ") else ""
    found = [name for name in selectors.tag_names_starting(start) if name not in names] if start else []
    return render(request, "workspace/_tag_options.html", {"values": [" ".join([*names, name]) for name in found]})


@require_GET
@agent_required
def organisation_suggestions(request: HttpRequest) -> HttpResponse:
    """Organisations whose name starts with what the agent typed, for the requester's organisation field."""
    typed = request.GET.get("organisation", "").strip()
    names = selectors.organisation_names(typed) if typed else []
    return render(request, "workspace/_organisation_options.html", {"names": names})


@require_POST
@agent_required
def requester_organisation(request: HttpRequest, reference: int) -> HttpResponse:
    """Put the ticket's requester into an organisation (named as typed), or take them out of it (left empty)."""
    ticket = selectors.ticket_or_404(reference)
    name = request.POST.get("organisation", "").strip()
    organisation = Organisation.objects.filter(name__iexact=name).first() if name else None
    if name and organisation is None:
        messages.error(request, gettext("No organisation is named “%(name)s”.") % {"name": name})
    else:
        requester_set_organisation(requester=ticket.requester, organisation=organisation, actor=current_agent(request))
        messages.success(request, gettext("The requester's organisation is saved."))
    return redirect("agent_ticket", ticket.reference)


@require_POST
@agent_required
def cc_remove(request: HttpRequest, reference: int, cc_id: int) -> HttpResponse:
    ticket = selectors.ticket_or_404(reference)
    cc = TicketCC.objects.filter(pk=cc_id, ticket=ticket).first()
    if cc is None:
        raise Http404
    services.ticket_remove_cc(ticket, cc, actor=current_agent(request))
    return redirect("agent_ticket", ticket.reference)
