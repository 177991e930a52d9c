"""Headers of the requester's pages that no cache may keep (a ticket, a survey) or whose address holds a token."""

from __future__ import annotations

from django.http import HttpResponse


def no_store(response: HttpResponse) -> HttpResponse:
    # The survey page keeps the default same-origin Referrer-Policy: with
    # no-referrer Chromium posts its form with "Origin: null", which CSRF refuses.
    response.headers["Cache-Control"] = "no-store"
    return response


def secret_address(response: HttpResponse) -> HttpResponse:
    # This address holds a token: it must not travel on in a Referer or a cache.
    response.headers["Referrer-Policy"] = "no-referrer"
    return no_store(response)
