"""The development outbox: e-mails caught while DEBUG is on, readable in the browser.

Every view answers 404 when DEBUG is off, so the outbox does not exist in production.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_sameorigin

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
    response = HttpResponse(_part(message, "html"), content_type="text/html; charset=utf-8")
    # Shown in an iframe of the outbox page, sandboxed like a mail client would.
    response.headers["Content-Security-Policy"] = (
        "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; "
        "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    return response
