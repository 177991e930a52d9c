"""Who is who, for agents: requesters, agents, organisations, and what requesters answered to the surveys.

Read only: people and organisations are managed on the web (the workspace's
people pages, the admin). A requester's token gets 403 on all of them; it reads
itself at /api/v1/me/.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
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
    RequesterPageSerializer,
    RequesterSerializer,
    SatisfactionPageSerializer,
    SatisfactionSerializer,
)
from comptoir.api.views import checked_query
from comptoir.tickets.models import Survey


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
