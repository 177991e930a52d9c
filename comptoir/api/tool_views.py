"""/api/v1/views/ and /api/v1/macros/: the workspace's saved views and canned replies, for agents' programs.

A saved view runs through the workspace's own reading of it
(comptoir.workspace.listing), so the API lists exactly the tickets the
workspace's list shows under that view, in its order; a canned reply is applied
through the workspace's own service (comptoir.workspace.macros), with the same
events and e-mails as the list's "Apply a canned reply".
"""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When, prefetch_related_objects
from django.http import QueryDict
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.api import selectors
from comptoir.api.agent_views import AgentView
from comptoir.api.idempotency import IDEMPOTENCY_HEADER, idempotency_key, key_claim, key_fulfil, request_fingerprint
from comptoir.api.pagination import Pages, RankedPages
from comptoir.api.problems import ApiProblem
from comptoir.api.serializers import PageQuerySerializer, TicketSerializer
from comptoir.api.tool_serializers import (
    MacroApplySerializer,
    MacroPageSerializer,
    MacroSerializer,
    SavedViewPageSerializer,
    SavedViewSerializer,
    ViewTicketPageSerializer,
)
from comptoir.api.views import checked_query, one_or_404, solve_held
from comptoir.ticketforms.values import values_prefetch
from comptoir.tickets.models import Macro, SupportGroup
from comptoir.tickets.services import Refusal
from comptoir.tickets.solve_guards import solve_holds
from comptoir.workspace import selectors as workspace_selectors
from comptoir.workspace.listing import by_relevance, listing, listing_order
from comptoir.workspace.macros import tickets_apply_macro
from comptoir.workspace.models import SavedView, Visibility, views_for


def _side_bar_order(views: QuerySet[SavedView]) -> QuerySet[SavedView]:
    """The side bar's order: the team's and groups' views, then the caller's own, each by position and name."""
    return views.annotate(
        shelf=Case(When(visibility=Visibility.PERSONAL, then=Value(1)), default=Value(0), output_field=IntegerField())
    )


class ViewsView(AgentView):
    @extend_schema(
        operation_id="views_list",
        parameters=[PageQuerySerializer],
        responses=SavedViewPageSerializer,
        summary="List the saved views the caller sees (agents)",
        description="As the workspace's side bar lists them: the shared ones, then the caller's own.",
    )
    def get(self, request: Request) -> Response:
        params = checked_query(PageQuerySerializer, request)
        views = _side_bar_order(views_for(self.caller()).select_related("group"))
        pages = Pages(ordering=("shelf", "position", "name", "id"), limit=params["limit"], position="number")
        page: list[Any] = pages.paginate_queryset(views, request, view=self) or []
        return pages.get_paginated_response(SavedViewSerializer(page, many=True, context={"request": request}).data)


def _position(ordering: tuple[str, ...]) -> Literal["time", "number"]:
    """What the order's first field holds, for the cursor."""
    return "number" if ordering[0].lstrip("-") == "priority_rank" else "time"


class ViewTicketsView(AgentView):
    @extend_schema(
        operation_id="views_tickets",
        parameters=[PageQuerySerializer],
        responses=ViewTicketPageSerializer,
        summary="Run a saved view: its tickets (agents)",
        description=(
            "The tickets the workspace lists under this view, with its filters, search and sort, page by page."
            " A view sorted by relevance whose search has words pages by position, as the workspace does: its"
            " first 500 tickets, best match first (a ticket written meanwhile may move a row to the next page)."
            " Another agent's own view is a 404."
        ),
    )
    def get(self, request: Request, view_id: int) -> Response:
        agent = self.caller()
        saved = one_or_404(views_for(agent), view_id)
        params = checked_query(PageQuerySerializer, request)
        listed = listing(
            QueryDict(saved.params),
            agent,
            agents=list(workspace_selectors.agents()),
            groups=list(SupportGroup.objects.all()),
        )
        ordering = listing_order(listed)

        def serialize(rows: list[Any]) -> Any:
            # The workspace's rows: their fields' values read here, in one query for the page.
            prefetch_related_objects(rows, values_prefetch())
            return TicketSerializer(rows, many=True, context={"request": request}).data

        if ordering is None:
            # Most relevant first, as in the workspace: pages by position.
            ranked = RankedPages(limit=params["limit"], notices=listed.search.notices)
            return ranked.response(request, lambda start, count: by_relevance(listed, start, count), serialize)
        pages = Pages(
            ordering=ordering, limit=params["limit"], notices=listed.search.notices, position=_position(ordering)
        )
        page: list[Any] = pages.paginate_queryset(listed.rows, request, view=self) or []
        return pages.get_paginated_response(serialize(page))


class MacrosView(AgentView):
    @extend_schema(
        operation_id="macros_list",
        parameters=[PageQuerySerializer],
        responses=MacroPageSerializer,
        summary="List the canned replies (agents)",
        description="The active ones, by title, as the workspace offers them.",
    )
    def get(self, request: Request) -> Response:
        params = checked_query(PageQuerySerializer, request)
        macros = Macro.objects.filter(is_active=True)
        pages = Pages(ordering=("title", "id"), limit=params["limit"], position="text")
        page: list[Any] = pages.paginate_queryset(macros, request, view=self) or []
        return pages.get_paginated_response(MacroSerializer(page, many=True).data)


def _macro_refusal(reason: str, reference: int) -> ApiProblem:
    # The list's sentences for the tickets a canned reply left as they were.
    text = {
        Refusal.CLOSED: gettext("Ticket #%(reference)s is closed: a canned reply cannot be applied to it."),
        Refusal.MERGED: gettext(
            "Ticket #%(reference)s is merged into another ticket: apply the canned reply to that one."
        ),
        Refusal.SPAM: gettext("Ticket #%(reference)s is spam: a canned reply cannot be applied to it."),
    }.get(reason, gettext("Ticket #%(reference)s is no longer there."))
    return ApiProblem("macro-refused", text % {"reference": reference}, status_code=status.HTTP_409_CONFLICT)


class MacroApplyView(AgentView):
    @extend_schema(
        operation_id="macros_apply",
        request=MacroApplySerializer,
        responses=TicketSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                description="Any unique string: a retry with the same key applies the canned reply once (24 h).",
            )
        ],
        summary="Apply a canned reply to a ticket (agents)",
        description=(
            "As the workspace does: its text, filled in for the ticket in its language, as a public reply or an"
            " internal note, and the fields, tags and status it sets. Answers the ticket."
        ),
    )
    def post(self, request: Request, reference: int, macro_id: int) -> Response:
        ticket = selectors.caller_ticket(request._request, reference)
        macro = one_or_404(Macro.objects.filter(is_active=True), macro_id)
        incoming = MacroApplySerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        is_public = incoming.validated_data["is_public"]
        agent = self.caller()
        key = idempotency_key(request)
        replayed = False
        with transaction.atomic():
            claim = None
            if key is not None:
                fingerprint = request_fingerprint({"macro": macro.pk, "ticket": ticket.pk, "is_public": is_public})
                claim = key_claim(owner=agent, key=key, fingerprint=fingerprint)
                if claim.conflict:
                    raise ApiProblem(
                        "idempotency-key-reused",
                        gettext("This Idempotency-Key was used for a different request."),
                        status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                    )
            if claim is not None and not claim.fresh and claim.ticket is not None:
                replayed = True
            else:
                outcome = tickets_apply_macro([ticket.pk], macro=macro, agent=agent, is_public=is_public)
                if outcome.refused:
                    # Raised inside the transaction: the key is not kept either, so a retry is refused the same.
                    reason = outcome.refused[0][1]
                    hold = solve_holds([ticket]).get(ticket.pk) if reason == Refusal.SOLVE_HELD else None
                    if hold is not None:
                        # The canned reply solves, and fields required to solve are empty: named, as on PATCH.
                        raise solve_held(hold)
                    raise _macro_refusal(reason, reference)
                if claim is not None:
                    key_fulfil(claim, ticket)
        shown = selectors.caller_ticket(request._request, reference)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return Response(TicketSerializer(shown, context={"request": request}).data, headers=headers)
