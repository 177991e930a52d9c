"""The development outbox: e-mails caught while DEBUG is on, readable in the browser.

Beside it, the product's own error pages, which DEBUG replaces with Django's
technical ones, shown on demand (`make screenshots` photographs them).
Every view answers 404 when DEBUG is off, so none of this exists in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import get_resolver
from django.views.decorators.clickjacking import xframe_options_sameorigin

from comptoir.devoutbox.links import links_opened_outside, site_origins
from comptoir.devoutbox.models import CapturedEmail

_LINK = re.compile(r"https?://[^\s<>\"']+")


def debug_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.DEBUG:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def _part(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else ""


@debug_only
def outbox_list(request: HttpRequest) -> HttpResponse:
    emails = CapturedEmail.objects.only("subject", "from_address", "to_addresses", "created_at")[:200]
    return render(request, "devoutbox/list.html", {"emails": emails})


@debug_only
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    captured = get_object_or_404(CapturedEmail, pk=pk)
    message = message_from_bytes(bytes(captured.raw), policy=policy.default)
    assert isinstance(message, EmailMessage)
    text = _part(message, "plain")
    context = {
        "email": captured,
        "headers": [(name, str(value)) for name, value in message.items()],
        "text": text,
        # A sentence's closing punctuation is not part of the link it ends with.
        "links": list(dict.fromkeys(link.rstrip(".,;:!?)") for link in _LINK.findall(text))),
        "raw": bytes(captured.raw).decode("utf-8", errors="replace"),
    }
    return render(request, "devoutbox/detail.html", context)


@debug_only
@xframe_options_sameorigin
def outbox_html(request: HttpRequest, pk: int) -> HttpResponse:
    captured = get_object_or_404(CapturedEmail, pk=pk)
    message = message_from_bytes(bytes(captured.raw), policy=policy.default)
    assert isinstance(message, EmailMessage)
    # Links to this site open in a new tab: inside the frame, our pages would refuse to load.
    origins = site_origins(settings.COMPTOIR_BASE_URL, request.build_absolute_uri("/"))
    html = links_opened_outside(_part(message, "html"), origins)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    # Shown in an iframe of the outbox page, sandboxed like a mail client would.
    response.headers["Content-Security-Policy"] = (
        "sandbox allow-popups allow-popups-to-escape-sandbox; "
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    return response


@debug_only
def error_page(request: HttpRequest, status: int) -> HttpResponse:
    """The page a visitor gets for this error with DEBUG off: 403 (?reason=agents-only...), 404 or 500."""
    if status not in (403, 404, 500):
        raise Http404
    # The handlers urls.py names (403 and 404 take the exception too, which the stubs leave out).
    handler: Callable[..., HttpResponse] = get_resolver().resolve_error_handler(status)
    if status == 403:
        return handler(request, PermissionDenied(request.GET.get("reason", "")))
    if status == 404:
        return handler(request, Http404())
    return handler(request)
