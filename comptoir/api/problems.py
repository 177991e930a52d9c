"""Every API error as an RFC 9457 problem details object, in the caller's language.

    HTTP/1.1 400 Bad Request
    Content-Type: application/problem+json

    {"type": "/api/v1/problems/validation-error", "title": "Some fields are invalid", "status": 400,
     "detail": "1 field has an invalid value: see errors.",
     "errors": [{"pointer": "#/subject", "detail": "This field is required.", "code": "required"}]}

``type`` names the kind of problem (a stable identifier, relative to the site;
the page at that address describes it); ``title`` says it in a sentence that
depends on the kind only, ``detail`` about this occurrence. Field errors point
into the request body (``pointer``, a JSON pointer) or name a query parameter
(``parameter``).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any

from django.core import signals
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

logger = logging.getLogger("django.request")

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "/api/v1/problems/"

# Each kind of problem: its title, and what the page at its type's address says.
KINDS: dict[str, tuple[Promise, Promise]] = {
    "validation-error": (
        _("Some fields are invalid"),
        _("The request reached the right place but some of its values cannot be used; each is listed in errors."),
    ),
    "parse-error": (_("The request body cannot be read"), _("Send a JSON object with Content-Type application/json.")),
    "not-authenticated": (
        _("Authentication required"),
        _("Send a personal API token in the Authorization header: Bearer cpt_…"),
    ),
    "invalid-token": (
        _("The token is not valid"),
        _("No live token matches the one sent. Check that it was copied whole."),
    ),
    "token-revoked": (_("The token was revoked"), _("Its owner revoked it. Make a new one in your profile.")),
    "token-expired": (_("The token has expired"), _("It reached its expiry date. Make a new one in your profile.")),
    "read-only-token": (
        _("This token can only read"),
        _("Its owner made it read only. Use a read and write token to change anything."),
    ),
    "two-factor-required": (
        _("Two-factor authentication required"),
        _("Your administrator requires it of agents: set up an authenticator app in your profile, then call again."),
    ),
    "address-unverified": (
        _("E-mail address not confirmed"),
        _("Tickets show once the address they were opened with is confirmed: sign in with a code sent to it."),
    ),
    "forbidden": (_("Not allowed"), _("Your account may not do this.")),
    "not-found": (_("Not found"), _("Nothing is at this address, or you may not see it.")),
    "method-not-allowed": (_("Method not allowed"), _("This address does not take this HTTP method.")),
    "not-acceptable": (_("Not acceptable"), _("The API answers in JSON only.")),
    "unsupported-media-type": (
        _("Unsupported media type"),
        _("Send the body as application/json, or as multipart/form-data where files go."),
    ),
    "ticket-closed": (
        _("The ticket is closed"),
        _("A closed ticket takes internal notes only. A requester's reply opens a follow-up ticket."),
    ),
    "solve-held": (
        _("The ticket cannot be solved yet"),
        _(
            "Fields required to solve it are empty; fields lists their keys. Fill them in first, or in the same"
            " request (fields of PATCH /api/v1/tickets/<reference>/)."
        ),
    ),
    "merge-refused": (
        _("The tickets cannot be merged"),
        _("A closed ticket is neither merged nor merged into, and a ticket is not merged into itself."),
    ),
    "macro-refused": (
        _("The canned reply cannot be applied"),
        _("A canned reply is applied to a ticket that is not closed, merged into another or marked as spam."),
    ),
    "idempotency-key-reused": (
        _("Idempotency-Key used for another request"),
        _("A key names one request: the same key with a different body is refused. Use a new key."),
    ),
    "rate-limited": (
        _("Too many requests"),
        _("Wait the seconds Retry-After says; the RateLimit-* headers of every answer say where you stand."),
    ),
    "server-error": (_("Internal error"), _("Something went wrong on our side. It was logged; try again later.")),
}


class ApiProblem(exceptions.APIException):
    """An error of ours, with its kind: raised anywhere in a view, answered as problem details."""

    def __init__(self, kind: str, detail: str, *, status_code: int, **extra: Any) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown problem kind {kind!r}")
        super().__init__(detail)
        self.kind = kind
        self.status_code = status_code
        # Members of the problem besides the standard ones (RFC 9457 extensions): "fields" of a solve held back.
        self.extra = extra


class TokenRefused(exceptions.AuthenticationFailed):
    """A 401 with the kind of problem it is: DRF adds WWW-Authenticate to AuthenticationFailed."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


class QueryInvalid(exceptions.ValidationError):
    """Invalid query parameters: the errors name the parameter rather than point into a body."""


class ProblemRenderer(JSONRenderer):
    """Lets a client ask for problem details by their own media type (Accept: application/problem+json)."""

    media_type = PROBLEM_MEDIA_TYPE
    format = "problem+json"


_KIND_OF_EXCEPTION: tuple[tuple[type[exceptions.APIException], str], ...] = (
    (exceptions.ValidationError, "validation-error"),
    (exceptions.ParseError, "parse-error"),
    (exceptions.NotAuthenticated, "not-authenticated"),
    (exceptions.AuthenticationFailed, "invalid-token"),
    (exceptions.PermissionDenied, "forbidden"),
    (exceptions.NotFound, "not-found"),
    (exceptions.MethodNotAllowed, "method-not-allowed"),
    (exceptions.NotAcceptable, "not-acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported-media-type"),
    (exceptions.Throttled, "rate-limited"),
)


def kind_of(exc: exceptions.APIException) -> str:
    kind = getattr(exc, "kind", None)
    if isinstance(kind, str):
        return kind
    for exception_type, name in _KIND_OF_EXCEPTION:
        if isinstance(exc, exception_type):
            return name
    return "server-error" if exc.status_code >= 500 else "forbidden"


def problem_body(kind: str, status_code: int, detail: str, **extra: Any) -> dict[str, Any]:
    title, _description = KINDS[kind]
    return {"type": TYPE_PREFIX + kind, "title": str(title), "status": status_code, "detail": detail, **extra}


def problem_response(
    kind: str, status_code: int, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any
) -> Response:
    return Response(
        problem_body(kind, status_code, detail, **extra),
        status=status_code,
        headers=dict(headers or {}),
        content_type=PROBLEM_MEDIA_TYPE,
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes problem details.

    An exception that is not an HTTP answer is logged as Django logs a failed
    request (and the test client re-raises it); the caller gets a 500 problem.
    """
    # Imported here: rest_framework.views reads the settings, which name this module's neighbours.
    from rest_framework.views import set_rollback

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    set_rollback()
    if not isinstance(exc, exceptions.APIException):
        request = context.get("request")
        django_request = getattr(request, "_request", request)
        logger.error(
            "Internal Server Error: %s",
            getattr(django_request, "path", "?"),
            exc_info=sys.exc_info(),
            extra={"status_code": 500, "request": django_request},
        )
        signals.got_request_exception.send(sender=None, request=django_request)
        return problem_response("server-error", 500, str(KINDS["server-error"][1]))
    headers: dict[str, str] = {}
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = str(auth_header)
    wait = getattr(exc, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(max(int(wait), 1))
    kind = kind_of(exc)
    if isinstance(exc, exceptions.ValidationError):
        errors = _errors(exc.detail, parameters=isinstance(exc, QueryInvalid))
        count = len(errors)
        detail = ngettext(
            "%(count)d field has an invalid value: see errors.",
            "%(count)d fields have an invalid value: see errors.",
            count,
        ) % {"count": count}
        return problem_response(kind, exc.status_code, detail, headers=headers, errors=errors)
    detail = _text(exc.detail)
    if isinstance(exc, exceptions.Throttled):
        detail = gettext("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": headers["Retry-After"]}
    return problem_response(kind, exc.status_code, detail, headers=headers, **getattr(exc, "extra", {}))


def _text(detail: Any) -> str:
    if isinstance(detail, list) and detail:
        return _text(detail[0])
    if isinstance(detail, dict) and detail:
        return _text(next(iter(detail.values())))
    return str(detail)


def _escape(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _errors(detail: Any, *, parameters: bool, path: tuple[str, ...] = ()) -> list[dict[str, str]]:
    """DRF's nested error details, flat: one entry per message, each with where it applies."""
    if isinstance(detail, dict):
        found: list[dict[str, str]] = []
        for key, value in detail.items():
            # Errors about the body as a whole (DRF's non_field_errors) point at the body itself.
            inner = path if key == api_settings.NON_FIELD_ERRORS_KEY else (*path, _escape(key))
            found += _errors(value, parameters=parameters, path=inner)
        return found
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [_entry(item, parameters=parameters, path=path) for item in detail]
        found = []
        for index, item in enumerate(detail):
            found += _errors(item, parameters=parameters, path=(*path, str(index)))
        return found
    return [_entry(detail, parameters=parameters, path=path)]


def _entry(message: Any, *, parameters: bool, path: tuple[str, ...]) -> dict[str, str]:
    where = {"parameter": path[0] if path else ""} if parameters else {"pointer": "#" + "".join("/" + p for p in path)}
    return {**where, "detail": str(message), "code": str(getattr(message, "code", "invalid"))}
