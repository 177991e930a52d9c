"""What only agents reach through the API: merging tickets, the tags and groups, a ticket's service-level clocks.

Each the workspace's: the merge is comptoir.tickets.merging's (the merge
page's write), the clocks are comptoir.sla.selectors' with the states the
ticket page's "Service level" card shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.api import selectors
from comptoir.api.pagination import Pages
from comptoir.api.permissions import SeesTickets
from comptoir.api.problems import ApiProblem
from comptoir.api.serializers import (
    GroupDetailSerializer,
    GroupPageSerializer,
    MergeSerializer,
    PageQuerySerializer,
    SlaPageSerializer,
    SlaTargetSerializer,
    TagPageSerializer,
    TagSerializer,
    TicketSerializer,
)
from comptoir.api.views import ApiView, checked_query
from comptoir.sla.models import TicketSla
from comptoir.sla.states import clock_state
from comptoir.tickets import access
from comptoir.tickets.merging import MergeRefused, tickets_merge
from comptoir.tickets.models import SupportGroup, Tag, Ticket


class AgentsOnly(SeesTickets):
    """Agents and administrators; a requester's token gets 403, whatever it names."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        if not access.is_agent(request._request):
            raise exceptions.PermissionDenied(gettext("Only agents may do this."))
        return True


class AgentView(ApiView):
    permission_classes: Sequence[type[BasePermission]] = (AgentsOnly,)


def _merge_refusal(refused: MergeRefused) -> ApiProblem:
    # The merge page's sentences.
    text = {
        MergeRefused.CLOSED_TARGET: gettext("Ticket #%(reference)s is closed: nothing can be merged into it."),
        MergeRefused.CLOSED_SOURCE: gettext("Ticket #%(reference)s is closed: it cannot be merged."),
        MergeRefused.SAME_TICKET: gettext("A ticket cannot be merged into itself (#%(reference)s)."),
    }[refused.reason] % {"reference": refused.ticket.reference}
    return ApiProblem("merge-refused", text, status_code=status.HTTP_409_CONFLICT)


class MergeView(AgentView):
    @extend_schema(
        operation_id="tickets_merge",
        request=MergeSerializer,
        responses=TicketSerializer,
        summary="Merge this ticket into another (agents)",
        description=(
            "As the workspace's Merge: the conversation and files move to the other ticket, this one closes."
            " Answers the ticket merged into."
        ),
    )
    def post(self, request: Request, reference: int) -> Response:
        source = selectors.caller_ticket(request._request, reference)
        incoming = MergeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        target = Ticket.objects.filter(pk=Ticket.pk_from_reference(data["into"])).first()
        if target is None:
            raise exceptions.ValidationError(
                {"into": [gettext("There is no ticket #%(reference)s.") % {"reference": data["into"]}]}
            )
        try:
            done = tickets_merge([source], target, agent=self.caller(), tell_requesters=data["tell_requesters"])
        except MergeRefused as refused:
            raise _merge_refusal(refused) from None
        shown = selectors.ticket_rows().get(pk=done.target.pk)
        return Response(TicketSerializer(shown, context={"request": request}).data)


class TagsView(AgentView):
    @extend_schema(
        operation_id="tags_list",
        parameters=[PageQuerySerializer],
        responses=TagPageSerializer,
        summary="List the tags (agents)",
        description="By name, each with how many tickets have it.",
    )
    def get(self, request: Request) -> Response:
        params = checked_query(PageQuerySerializer, request)
        tags = Tag.objects.annotate(ticket_count=Count("tickets"))
        pages = Pages(ordering=("name",), limit=params["limit"], position="text")
        page: list[Any] = pages.paginate_queryset(tags, request, view=self) or []
        return pages.get_paginated_response(TagSerializer(page, many=True).data)


class GroupsView(AgentView):
    @extend_schema(
        operation_id="groups_list",
        parameters=[PageQuerySerializer],
        responses=GroupPageSerializer,
        summary="List the groups (agents)",
        description="By name: the ids a ticket's group takes.",
    )
    def get(self, request: Request) -> Response:
        params = checked_query(PageQuerySerializer, request)
        groups = SupportGroup.objects.select_related("lead")
        pages = Pages(ordering=("name",), limit=params["limit"], position="text")
        page: list[Any] = pages.paginate_queryset(groups, request, view=self) or []
        return pages.get_paginated_response(GroupDetailSerializer(page, many=True).data)


class SlaView(AgentView):
    @extend_schema(
        operation_id="tickets_sla",
        parameters=[PageQuerySerializer],
        responses=SlaPageSerializer,
        summary="A ticket's service-level clocks (agents)",
        description="Every clock of the ticket, met, stopped or waiting, oldest first.",
    )
    def get(self, request: Request, reference: int) -> Response:
        ticket = selectors.caller_ticket(request._request, reference)
        params = checked_query(PageQuerySerializer, request)
        clocks = TicketSla.objects.filter(ticket=ticket).select_related("policy")
        pages = Pages(ordering=("started_at", "id"), limit=params["limit"])
        page: list[Any] = pages.paginate_queryset(clocks, request, view=self) or []
        now = timezone.now()
        for target in page:
            target.state = clock_state(target, now)
        return pages.get_paginated_response(SlaTargetSerializer(page, many=True).data)
