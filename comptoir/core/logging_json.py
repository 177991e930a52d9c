"""One JSON object per log line (COMPTOIR_LOG_FORMAT=json), tied to its request.

RequestContextMiddleware gives every request an id: the X-Request-ID a trusted
proxy sent (comptoir.core.proxies), else a new one; it is echoed in the
response's X-Request-ID header so that a person's report, the proxy's log and
ours meet. The ticket number is taken from the view's ``reference`` argument,
which every ticket page has. Both live in context variables read by
RequestContextFilter, so any logger in the request carries them.

What a line holds is chosen, never copied from the record: time, level,
logger, message, request id, ticket, client address, and an exception's
traceback. A record's extras (django.request attaches the whole request, its
cookies and headers) are left out, and the message is scrubbed of link tokens
and credentials as it is written, whatever logger wrote it.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from comptoir.core.proxies import peer_is_trusted

REQUEST_ID_HEADER = "X-Request-ID"
request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("comptoir_request_id", default=None)
ticket_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("comptoir_ticket", default=None)
client_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("comptoir_client", default=None)

# A proxy's id is kept only when it looks like one (uuids, hex, the usual alphabets): never a line break.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

_SCRUBS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Ticket-link and survey tokens in paths (the same rule as comptoir.portal.log_filters).
    (re.compile(r"(/t/|/surveys/)[^/\s\"'?#]+"), r"\1***"),
    # Link tokens after "#" and any token-like query parameter.
    (re.compile(r"(/t/#)[^\s\"']+"), r"\1***"),
    (re.compile(r"(?i)([?&](?:token|key|code|signature|secret|password)=)[^&\s\"'#]+"), r"\1***"),
    # Credentials, should a message quote a header.
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 ***"),
    (re.compile(r"(?i)(authorization|cookie|set-cookie|x-api-key)(['\"]?\s*[:=]\s*['\"]?)[^\s,'\"}]+"), r"\1\2***"),
    (re.compile(r"(?i)(sessionid|csrftoken)=[^;\s,'\"]+"), r"\1=***"),
)


def scrub(text: str) -> str:
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text


def _request_id(request: HttpRequest) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if offered and _REQUEST_ID.fullmatch(offered) and peer_is_trusted(request):
        return offered
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Names the request (X-Request-ID) and, once its view is known, its ticket, for the logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id(request)
        request_id_var.set(request_id)
        ticket_var.set(None)
        client_var.set(request.META.get("REMOTE_ADDR") or None)
        response = self.get_response(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> None:
        reference = kwargs.get("reference")
        if isinstance(reference, int):
            ticket_var.set(reference)


@receiver(request_finished)
def _forget_request(**kwargs: Any) -> None:
    # Once the response is closed, not as the middleware returns: Django logs a 4xx or 5xx
    # ("Not Found: ...") after the middleware, and that line should carry the request's id.
    request_id_var.set(None)
    ticket_var.set(None)
    client_var.set(None)


class RequestContextFilter(logging.Filter):
    """Adds request_id, ticket and client to every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.ticket = ticket_var.get()
        record.client = client_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(message),
        }
        for field in ("request_id", "ticket", "client"):
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            line["status"] = status_code
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)
