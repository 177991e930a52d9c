"""The agent workspace: ticket views, the ticket page, one submit per action."""

from __future__ import annotations

import contextlib
from typing import Any

from django.contrib import messages
from django.db import router
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from comptoir.accounts.models import Organisation, Role, User
from comptoir.accounts.services import requester_set_organisation
from comptoir.notifications.models import AgentNotice
from comptoir.rules.models import RuleRun
from comptoir.sla.selectors import ticket_targets
from comptoir.tickets import access, services
from comptoir.tickets.blocks import BlockScope
from comptoir.tickets.files import attachment_rules
from comptoir.tickets.models import EventKind, Macro, Status, SupportGroup, Survey, Ticket, TicketCC
from comptoir.tickets.presence import presence_others, presence_record
from comptoir.tickets.search_query import parse_search
from comptoir.tickets.solve_guards import SolveHeld
from comptoir.tickets.statuses import AGENT_SUBMIT_STATUSES
from comptoir.tickets.tags import tag_names
from comptoir.workspace import selectors
from comptoir.workspace.access import agent_required, current_agent
from comptoir.workspace.compiled import kept_models
from comptoir.workspace.forms import (
    AgentUpdateForm,
    BulkMacroForm,
    BulkMergeForm,
    BulkUpdateForm,
    CCForm,
    PresenceForm,
    SpamForm,
)
from comptoir.workspace.list_forms import Team, filter_fields_html, save_fields_html, team_of
from comptoir.workspace.listing import (
    listing,
    listing_page,
    listing_params,
    matches_count,
    saved_params,
    saved_view_named,
)
from comptoir.workspace.macros import macro_entries
from comptoir.workspace.models import SavedView, Visibility, views_for
from comptoir.workspace.rows import list_rows, rows_html
from comptoir.workspace.search import search_excerpts
from comptoir.workspace.shell import kept_html
from comptoir.workspace.sla_card import target_rows
from comptoir.workspace.ticketform_views import agent_fields_form, solve_refusal


@require_GET
def after_login(request: HttpRequest) -> HttpResponse:
    return redirect("agent_tickets" if access.is_agent(request) else "my_tickets")


@require_GET
@agent_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    agent = current_agent(request)
    # The side bar lists the agent's views: the one the address names is among them (one query for both).
    saved_views = _views_seen(agent) if request.GET.get("saved") else None
    saved = _saved_view(request, saved_views or [])
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
    if saved_views is None:
        saved_views = _views_seen(agent)
    agents, groups = _team()
    listed = listing(params, agent, agents=agents, groups=groups)
    team = team_of(agents, groups)
    address = request.GET.copy()
    for name in ("after", "before", "page"):
        address.pop(name, None)
    # The list's own count, compiled once per process as a saved view's is (listing.matches_count).
    count = matches_count(listing_params(params), agent, agents=agents, groups=groups)
    sidebar, counts = _sidebar(agent, agents, groups, saved_views, count, shown=saved)
    # After the counts: when the list's count says no ticket holds the words, the page lists look-alikes.
    shown = listing_page(
        listed, agent, found=counts.listed.value, after=params.get("after", ""), before=params.get("before", "")
    )
    page = shown.page
    filtered = any(params.get(name) for name in ("status", "assignee", "group", "type", "priority"))
    tallied = sidebar["shared_views"] + sidebar["own_views"]
    if saved is None and not listed.typed and not filtered and not params.get("sort"):
        # A built-in view at its plain address is that view: its heading, and its tools for an admin.
        plain = (view for view, _tally in tallied if view.plain_built_in and view.key == listed.view_key)
        saved = next(plain, None)
    # Look-alikes do not hold the words: no passage of theirs to show.
    excerpts = {} if shown.lookalikes else search_excerpts(listed.query, [ticket.pk for ticket in page.rows])
    rows = list_rows(page.rows, excerpts)
    context = {
        **sidebar,
        "saved": saved,
        "listed": counts.listed,
        "current_view": next(view for view in selectors.VIEWS if view.key == listed.view_key),
        "view_key": listed.view_key,
        "filters": listed.filters,
        "page": page,
        "rows": rows,
        "rows_html": rows_html(rows),
        "query": address.urlencode(),
        "searched": listed.typed,
        "search_help": True,
        "search_notices": shown.notices,
        "lookalikes": shown.lookalikes,
        "filtered": filtered,
        # The same for every list page of the language and team: written once (bulk_panel, list_forms).
        "bulk_panel": bulk_panel(agents, groups, team),
        "filter_fields": filter_fields_html(listed.filters, params, team),
        "save_fields": save_fields_html(
            # As the side bar lists them: the team's, then the agent's own.
            replaceable=[view for view, _tally in tallied if view.editable_by(agent)],
            groups=groups,
            is_admin=agent.role == Role.ADMIN,
            team=team,
        ),
        "saved_params": saved_params(params),
    }
    return render(request, "workspace/list.html", context)


@require_GET
@agent_required
def sidebar(request: HttpRequest) -> HttpResponse:
    """The left bar's views with their counts, fetched by the pages that are not the list (shortcuts.js)."""
    agent = current_agent(request)
    agents, groups = _team()
    context, _counts = _sidebar(agent, agents, groups, _views_seen(agent))
    return render(request, "workspace/_sidebar_views.html", context)


def _sidebar(
    agent: User,
    agents: list[User],
    groups: list[SupportGroup],
    saved_views: list[SavedView],
    listed: selectors.CountSql | None = None,
    shown: SavedView | None = None,
) -> tuple[dict[str, Any], selectors.Counts]:
    """The side bar's views (the team's, then the agent's own) and the quarantine with their counts, and the
    list's own count: one query. The saved view ``shown`` is the list: counted once, as the list."""
    others = [view for view in saved_views if shown is None or view.pk != shown.pk]
    counted = [matches_count(view.params, agent, agents=agents, groups=groups) for view in others]
    counts = selectors.workspace_counts(listed, counted)
    tallies = dict(zip([view.pk for view in others], counts.saved, strict=True))
    tallied = [(view, tallies.get(view.pk, counts.listed)) for view in saved_views]
    context = {
        "shared_views": [(view, tally) for view, tally in tallied if view.visibility != Visibility.PERSONAL],
        "own_views": [(view, tally) for view, tally in tallied if view.visibility == Visibility.PERSONAL],
        "quarantined": counts.quarantined,
    }
    return context, counts


def _views_seen(agent: User) -> list[SavedView]:
    # Their owners are not read (editable_by compares owner_id): no join, no User per view.
    key = ("views seen", router.db_for_read(SavedView), agent.pk)
    return kept_models(key, SavedView, lambda: views_for(agent))


def _team() -> tuple[list[User], list[SupportGroup]]:
    """The agents and the groups the list's filters and panels offer."""
    return _agents(), _groups()


def _agents() -> list[User]:
    """The agents a select offers (the list's filters and panels, the ticket page's assignee): by a statement
    compiled once per process."""
    return kept_models(("agents", router.db_for_read(User)), User, selectors.agents)


def _groups() -> list[SupportGroup]:
    """The groups a select offers, likewise."""
    return kept_models(("groups", router.db_for_read(SupportGroup)), SupportGroup, SupportGroup.objects.all)


def _saved_view(request: HttpRequest, saved_views: list[SavedView]) -> SavedView | None:
    """The saved view the address names (?saved=12), if it is one of the agent's ``saved_views``; 404 otherwise."""
    key = request.GET.get("saved", "")
    return saved_view_named(key, saved_views) if key else None


def bulk_panel(agents: list[User], groups: list[SupportGroup], team: Team) -> SafeString:
    """The list's "Change the selected tickets" panel: its fields and labels, unbound, the same on every page.

    Two dozen widgets and their labels, written once per language and ``team`` (the agents and groups its
    selects offer, list_forms.team_of) and kept by the process: the key says everything the panel shows.
    """

    def render() -> str:
        context = {
            "bulk_form": BulkUpdateForm(agents=agents, groups=groups, auto_id="bulk-%s"),
            "macro_form": BulkMacroForm(auto_id="bulk-%s"),
            "merge_form": BulkMergeForm(auto_id="bulk-%s"),
        }
        return render_to_string("workspace/_bulk_panel.html", context)

    html = kept_html(("bulk panel", translation.get_language(), team), render)
    return mark_safe(html)  # rendered by the template above, which escaped every value


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
    return AgentUpdateForm(data, files, initial=initial, agents=_agents, groups=_groups)


def _render_ticket(request: HttpRequest, ticket: Ticket, form: AgentUpdateForm, status: int = 200) -> HttpResponse:
    # A card with nothing to show costs no query (selectors.panels_shown): its list is empty from the start.
    shown = selectors.panels_shown(ticket)
    answered = Survey.objects.filter(ticket=ticket, answered_at__isnull=False).order_by("-answered_at")
    context = {
        "ticket": ticket,
        # The tickets it follows up and was merged into, linked by number: their ids are on its row.
        "follow_up_of": Ticket.reference_of(ticket.follow_up_of_id),
        "merged_into": Ticket.reference_of(ticket.merged_into_id),
        "conversation": selectors.conversation(
            ticket,
            total=ticket.message_count,  # type: ignore[attr-defined]  # annotated: selectors.ticket_or_404(counted=True)
            everything=request.GET.get("all") == "1",
        ),
        "events": ticket.events.select_related("actor")
        .exclude(kind__in=(EventKind.REPLY, EventKind.NOTE))
        # The rule that wrote a change, if one did (its RuleRun keeps the change): in the same query.
        .annotate(
            by_rule_id=Subquery(RuleRun.objects.filter(produced_change=OuterRef("change")).values("rule_id")[:1]),
            by_rule=Subquery(RuleRun.objects.filter(produced_change=OuterRef("change")).values("rule__name")[:1]),
        ),
        "other_tickets": selectors.other_tickets(ticket),
        "ccs": ticket.ccs.all() if shown.ccs else [],
        "cc_form": CCForm(),
        "spam_form": SpamForm(auto_id="spam-%s"),
        "delivery_problems": selectors.delivery_problems(ticket) if shown.delivery_problems else [],
        "surveys": answered if shown.surveys else [],
        "form": form,
        "property_fields": form.property_fields(),
        "submit_statuses": AGENT_SUBMIT_STATUSES,
        "is_closed": ticket.status == Status.CLOSED,
        "tags": _tags(ticket) if ticket.status == Status.CLOSED else [],
        "rules": attachment_rules(),
        "sla_targets": target_rows(ticket_targets(ticket.pk), timezone.now()) if shown.clocks else [],
        "fields_form": agent_fields_form(ticket) if shown.fields else None,
    }
    response = render(request, "workspace/ticket.html", context, status=status)
    response.headers["Cache-Control"] = "no-store"  # a ticket's conversation is never kept by a cache
    return response


@require_GET
@agent_required
def ticket_page(request: HttpRequest, reference: int) -> HttpResponse:
    ticket = selectors.ticket_or_404(reference, counted=True, viewer=current_agent(request), panels=True)
    return _render_ticket(request, ticket, _update_form(ticket))


@require_POST
@agent_required
def ticket_update(request: HttpRequest, reference: int) -> HttpResponse:
    # A refused update shows the page again.
    ticket = selectors.ticket_or_404(reference, counted=True, viewer=current_agent(request), panels=True)
    form = _update_form(ticket, request.POST, request.FILES)
    if not form.is_valid():
        return _render_ticket(request, ticket, form, status=400)
    data = form.cleaned_data
    # Fields an administrator requires before solving (comptoir.ticketforms): said, and nothing sent.
    refusal = solve_refusal(ticket) if data["status"] == Status.SOLVED else None
    if refusal is not None:
        form.add_error(None, refusal)
        return _render_ticket(request, ticket, form, status=400)
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
    except SolveHeld as held:
        # A field emptied since the check above (another agent, a rule): the service wrote nothing.
        form.add_error(None, solve_refusal(ticket) or held.hold.reason)
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
def ticket_follow(request: HttpRequest, reference: int) -> HttpResponse:
    """Hear of the requester's replies on this ticket, or stop: as the agent's notification settings say how."""
    ticket = selectors.ticket_or_404(reference)
    services.ticket_follow(ticket, current_agent(request), follow=request.POST.get("follow") == "1")
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
def macro_options(request: HttpRequest) -> HttpResponse:
    """The canned replies agents may apply, as the list's bulk panel offers them: fetched when first reached for."""
    macros = Macro.objects.filter(is_active=True).only("pk", "title")
    return render(request, "workspace/_bulk_macro_options.html", {"macros": macros})


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
