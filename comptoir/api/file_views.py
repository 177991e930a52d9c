"""Files in (/api/v1/uploads/), checked as the web checks them; a ticket's files out, to whoever may see them.

A download is what the Help Center's authorising view serves
(comptoir.portal.ticket_views.attachment_download): the ticket's files to
whoever sees the ticket, those of internal notes to agents only, always as a
download (Content-Disposition: attachment) with nosniff, so that a file never
runs as a page of ours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from comptoir.api import selectors
from comptoir.api.serializers import UploadCreateSerializer, UploadSerializer
from comptoir.api.uploads import upload_store
from comptoir.api.views import ApiView
from comptoir.core.storage import open_for_download
from comptoir.tickets import access
from comptoir.tickets.files import ACCEPT_ATTRIBUTE
from comptoir.tickets.models import Attachment

# What a download may be: the types comptoir.tickets.files accepts (and stores).
DOWNLOAD_TYPES = tuple(item for item in ACCEPT_ATTRIBUTE.split(",") if "/" in item)


class UploadsView(ApiView):
    parser_classes: Sequence[type[BaseParser]] = (MultiPartParser,)

    @extend_schema(
        operation_id="uploads_create",
        request={"multipart/form-data": UploadCreateSerializer},
        responses={201: UploadSerializer},
        summary="Upload a file for a later message",
        description=(
            "The file is checked as on the web (type from its content, size limit). Its id goes in a message's or"
            " a new ticket's `attachments`, by the same person, once, within 24 hours."
        ),
    )
    def post(self, request: Request) -> Response:
        incoming = UploadCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        sent = incoming.validated_data["file"]
        upload = upload_store(owner=self.caller(), stream=sent, filename=sent.name or "", size=sent.size or 0)
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)


class AnyContentNegotiation(BaseContentNegotiation):
    """A file is what it is: whatever Accept says, the download (or the problem, in JSON) is the answer."""

    def select_parser(self, request: Request, parsers: Any) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: Any, format_suffix: str | None = None) -> Any:
        renderer: BaseRenderer = renderers[0]
        return renderer, renderer.media_type


class AttachmentView(ApiView):
    content_negotiation_class = AnyContentNegotiation

    @extend_schema(
        operation_id="attachments_download",
        responses={(200, content_type): OpenApiTypes.BINARY for content_type in DOWNLOAD_TYPES},
        summary="Download a file of a ticket",
        description="As a download, with the type found in its content. Files of internal notes: agents only.",
    )
    def get(self, request: Request, reference: int, attachment_id: int) -> FileResponse:
        ticket = selectors.caller_ticket(request._request, reference)
        files = Attachment.objects.filter(ticket=ticket, pk=attachment_id)
        if not access.is_agent(request._request):
            files = files.filter(message__is_public=True)
        attachment = files.first()
        if attachment is None:
            raise exceptions.NotFound
        response = FileResponse(
            open_for_download(attachment.file),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
        # A stream from S3 cannot tell its length; the row knows it.
        response.headers["Content-Length"] = str(attachment.size)
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
