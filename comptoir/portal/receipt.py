"""The receipt of a ticket just sent: what the confirmation page shows, kept in a signed cookie.

Not in the session: a visitor who sends a ticket has none, and making one would
be a second write transaction for every ticket sent. The cookie is signed
(nobody can make it name another ticket), short-lived, HttpOnly, and holds only
what the person typed a moment ago: their ticket's number and their address.
Signing out on this device forgets it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from comptoir.tickets.models import Ticket

COOKIE = "comptoir_sent"
_SALT = "comptoir.portal.receipt"
MAX_AGE_SECONDS = 30 * 60


@dataclass(frozen=True)
class Receipt:
    reference: int
    email: str


def receipt_give(response: HttpResponse, ticket: Ticket) -> HttpResponse:
    value = json.dumps({"reference": ticket.reference, "email": ticket.requester.email})
    response.set_signed_cookie(
        COOKIE,
        value,
        salt=_SALT,
        max_age=MAX_AGE_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def receipt_read(request: HttpRequest) -> Receipt | None:
    """The receipt this browser was given, unless it is forged, altered or too old."""
    value = request.get_signed_cookie(COOKIE, default=None, salt=_SALT, max_age=MAX_AGE_SECONDS)
    if value is None:
        return None
    try:
        data = json.loads(value)
        return Receipt(reference=int(data["reference"]), email=str(data["email"]))
    except (ValueError, TypeError, KeyError):
        return None


def receipt_forget(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(COOKIE, samesite="Lax")
    return response
