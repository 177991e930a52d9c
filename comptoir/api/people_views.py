"""Who is who, for agents: requesters, agents, organisations, and what requesters answered to the surveys.

Read only: people and organisations are managed on the web (the workspace's
people pages, the admin). A requester's token gets 403 on all of them; it reads
itself at /api/v1/me/.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.accounts.models import Organisation, Role, User
from comptoir.api.agent_views import AgentView
from comptoir.api.pagination import Pages
from comptoir.api.serializers import (
    AgentPageSerializer,
    AgentSerializer,
    OrganisationDetailSerializer,
    OrganisationPageSerializer,
    PageQuerySerializer,
    RequesterDetailSerializer,
    RequesterPageSerializer,
    RequesterSerializer,
    SatisfactionPageSerializer,
    SatisfactionSerializer,
)
from comptoir.api.views import checked_query, one_or_404
from comptoir.tickets.models import Survey
from comptoir.tickets.statuses import ACTIVE_STATUSES


def _page(view: AgentView, request: Request, rows: QuerySet[Any], serializer: Any, **ordering: Any) -> Response:
    params = checked_query(PageQuerySerializer, request)
    pages = Pages(limit=params["limit"], **ordering)
    page: list[Any] = pages.paginate_queryset(rows, request, view=view) or []
    return pages.get_paginated_response(serializer(page, many=True).data)


class RequestersView(AgentView):
    @extend_schema(
        operation_id="requesters_list",
        parameters=[PageQuerySerializer],
        responses=RequesterPageSerializer,
        summary="List the requesters (agents)",
        description="By address.",
    )
    def get(self, request: Request) -> Response:
        rows = User.objects.filter(role=Role.REQUESTER).select_related("organisation")
        return _page(self, request, rows, RequesterSerializer, ordering=("email",), position="text")


class RequesterView(AgentView):
    @extend_schema(
        operation_id="requesters_retrieve",
        responses=RequesterDetailSerializer,
        summary="Read a requester (agents)",
        description=(
            "With how many tickets they asked, and how many are still being worked on. Their tickets:"
            " `GET /api/v1/tickets/?q=requester:<address>`."
        ),
    )
    def get(self, request: Request, user_id: int) -> Response:
        rows = User.objects.filter(role=Role.REQUESTER).select_related("organisation")
        requester = one_or_404(
            rows.annotate(
                tickets_total=Count("requested_tickets"),
                tickets_unsolved=Count("requested_tickets", filter=Q(requested_tickets__status__in=ACTIVE_STATUSES)),
            ),
            user_id,
        )
        return Response(RequesterDetailSerializer(requester).data)


class AgentsView(AgentView):
    @extend_schema(
        operation_id="agents_list",
        parameters=[PageQuerySerializer],
        responses=AgentPageSerializer,
        summary="List the agents and administrators (agents)",
        description="By address: the ids a ticket's assignee takes.",
    )
    def get(self, request: Request) -> Response:
        rows = User.objects.filter(role__in=(Role.AGENT, Role.ADMIN))
        return _page(self, request, rows, AgentSerializer, ordering=("email",), position="text")


class AgentDetailView(AgentView):
    @extend_schema(
        operation_id="agents_retrieve",
        responses=AgentSerializer,
        summary="Read an agent or administrator (agents)",
        description="A requester's id is a 404 here: see /api/v1/requesters/{id}/.",
    )
    def get(self, request: Request, user_id: int) -> Response:
        agent = one_or_404(User.objects.filter(role__in=(Role.AGENT, Role.ADMIN)), user_id)
        return Response(AgentSerializer(agent).data)


class OrganisationsView(AgentView):
    @extend_schema(
        operation_id="organisations_list",
        parameters=[PageQuerySerializer],
        responses=OrganisationPageSerializer,
        summary="List the organisations (agents)",
        description="By name.",
    )
    def get(self, request: Request) -> Response:
        rows = Organisation.objects.all()
        return _page(self, request, rows, OrganisationDetailSerializer, ordering=("name",), position="text")


class OrganisationView(AgentView):
    @extend_schema(
        operation_id="organisations_retrieve",
        responses=OrganisationDetailSerializer,
        summary="Read an organisation (agents)",
        description="Its tickets: `GET /api/v1/tickets/?q=org:<name>`, as in the workspace's search.",
    )
    def get(self, request: Request, organisation_id: int) -> Response:
        organisation = one_or_404(Organisation.objects.all(), organisation_id)
        return Response(OrganisationDetailSerializer(organisation).data)


class SatisfactionView(AgentView):
    @extend_schema(
        operation_id="satisfaction_list",
        parameters=[PageQuerySerializer],
        responses=SatisfactionPageSerializer,
        summary="List the satisfaction answers (agents)",
        description="Newest answer first: each survey a requester answered, with its rating and comment.",
    )
    def get(self, request: Request) -> Response:
        rows = Survey.objects.filter(answered_at__isnull=False, rating__isnull=False)
        return _page(self, request, rows, SatisfactionSerializer, ordering=("-answered_at", "-id"))
