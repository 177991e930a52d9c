"""Inbound e-mail in the workspace: the quarantine, and any message's original."""

from __future__ import annotations

import filetype
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from comptoir.gateway import inbound
from comptoir.mail.display import safe_email_html
from comptoir.mail.models import InboundEmail, InboundStatus, QuarantineKind
from comptoir.mail.parsing import ParsedEmail, parse_email
from comptoir.mail.raw_store import raw_read
from comptoir.mail.timelimit import TimeLimitExceeded, time_limit
from comptoir.workspace.access import agent_required, current_agent
from comptoir.workspace.selectors import PAGE_SIZE


def _parsed(row: InboundEmail) -> ParsedEmail | None:
    """The message read under the same time limit as ingestion; None when it is too slow to read."""
    if row.quarantine_kind == QuarantineKind.TOO_SLOW:
        return None
    try:
        with time_limit(settings.COMPTOIR_INBOUND_PARSE_SECONDS):
            return parse_email(raw_read(row))
    except TimeLimitExceeded:
        return None


def _inbound(pk: int) -> InboundEmail:
    row = InboundEmail.objects.select_related("ticket", "candidate_ticket").filter(pk=pk).first()
    if row is None:
        raise Http404
    return row


@require_GET
@agent_required
def quarantine_list(request: HttpRequest) -> HttpResponse:
    rows = (
        InboundEmail.objects.filter(status=InboundStatus.QUARANTINED)
        .select_related("candidate_ticket")
        .defer("legacy_raw")
        .order_by("-received_at", "-pk")
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "workspace/quarantine.html", {"page": page})


@require_GET
@agent_required
def inbound_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The message as it arrived: headers, full text (quoted parts included), formatted version and files."""
    row = _inbound(pk)
    parsed = _parsed(row)
    if parsed is None:
        return render(request, "workspace/inbound_email_unreadable.html", {"row": row})
    by_content_id = {part.content_id: index for index, part in enumerate(parsed.attachments) if part.content_id}

    def inline_image_url(content_id: str) -> str | None:
        index = by_content_id.get(content_id)
        return reverse("agent_inbound_part", args=[row.pk, index]) if index is not None else None

    context = {
        "row": row,
        "parsed": parsed,
        "parts": [(index, part) for index, part in enumerate(parsed.attachments)],
        "formatted": safe_email_html(parsed.html_body, inline_image_url) if parsed.html_body else "",
        "is_quarantined": row.status == InboundStatus.QUARANTINED,
    }
    return render(request, "workspace/inbound_email.html", context)


# Shown inline when the bytes really are one of these; anything else is only a download.
_INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@require_GET
@agent_required
def inbound_part(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """One file of the stored message, as a download (images may still be shown by an <img>)."""
    parsed = _parsed(_inbound(pk))
    if parsed is None or index >= len(parsed.attachments):
        raise Http404
    parts = parsed.attachments
    part = parts[index]
    sniffed = filetype.guess_mime(part.content)
    content_type = sniffed if sniffed in _INLINE_IMAGE_TYPES else "application/octet-stream"
    response = HttpResponse(part.content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, part.filename) or "attachment"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@agent_required
def inbound_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The exact bytes received, as a download: never rendered by the browser."""
    row = _inbound(pk)
    response = HttpResponse(raw_read(row), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="message-{row.pk}.eml"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@agent_required
def quarantine_action(request: HttpRequest, pk: int) -> HttpResponse:
    agent = current_agent(request)
    action = request.POST.get("action")
    try:
        row = InboundEmail.objects.filter(pk=pk).first()
        if row is None:
            # Deleted by another agent meanwhile.
            raise inbound.NotQuarantined
        if action == "accept":
            done = inbound.quarantine_accept(row, agent=agent)
            messages.success(request, gettext("The message was added to the ticket and its sender copied on it."))
        elif action == "new_ticket":
            done = inbound.quarantine_new_ticket(row, agent=agent)
            messages.success(request, gettext("A new ticket was opened with the message."))
        elif action == "delete":
            inbound.quarantine_delete(row, agent=agent)
            messages.success(request, gettext("The message was deleted."))
            return redirect("agent_quarantine")
        else:
            return HttpResponse(status=400)
    except inbound.NotQuarantined:
        messages.error(request, gettext("This message is no longer in quarantine."))
        return redirect("agent_quarantine")
    if done.ticket is not None:
        return redirect("agent_ticket", done.ticket.reference)
    return redirect("agent_inbound", done.pk)
