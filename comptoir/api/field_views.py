"""/api/v1/ticket-fields/: the ticket fields administrators defined, so a program knows the keys and values a
ticket's ``fields`` take. Agents read every field; the requester's side, those visible to customers."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.api.pagination import Pages
from comptoir.api.serializers import PageQuerySerializer, TicketFieldPageSerializer, TicketFieldSerializer
from comptoir.api.views import ApiView, checked_query
from comptoir.ticketforms.models import TicketField


class TicketFieldsView(ApiView):
    @extend_schema(
        operation_id="ticket_fields_list",
        parameters=[PageQuerySerializer],
        responses=TicketFieldPageSerializer,
        summary="List the ticket fields",
        description=(
            "By key: what each field takes (kind, choices, pattern), who sees and fills it in, and whether it is"
            " required when the customer sends or before a ticket is solved. Agents read every field, archived"
            " ones included; the requester's side, the fields visible to customers that are still asked."
        ),
    )
    def get(self, request: Request) -> Response:
        params = checked_query(PageQuerySerializer, request)
        fields = TicketField.objects.select_related("shown_when_field")
        if not self.caller().is_agent:
            fields = fields.filter(visible_to_customers=True, archived=False)
        pages = Pages(ordering=("key",), limit=params["limit"], position="text")
        page: list[Any] = pages.paginate_queryset(fields, request, view=self) or []
        return pages.get_paginated_response(TicketFieldSerializer(page, many=True).data)
