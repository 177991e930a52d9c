"""One JSON object per log line (COMPTOIR_LOG_FORMAT=json), tied to its request.

RequestContextMiddleware gives every request an id: the X-Request-ID a trusted
proxy sent (comptoir.core.proxies), else a new one; it is echoed in the
response's X-Request-ID header so that a person's report, the proxy's log and
ours meet. The ticket number is taken from the view's ``reference`` argument,
which every ticket page has. Both live in context variables read by
RequestContextFilter, so any logger in the request carries them.

A task sent during a request carries the request's id in its message headers
(comptoir.celery), and the worker's lines while it runs carry that id and the
task's name and id (``task_var``). The same formatter writes Celery's own lines
(worker and beat) and gunicorn's error and access logs (deploy/gunicorn.conf.py)
when COMPTOIR_LOG_FORMAT is json.

What a line holds is chosen, never copied from the record: time, level,
logger, message, request id, ticket, client address, task, an access log's
method, path, status, size and duration, and an exception's traceback. A
record's extras (django.request attaches the whole request, its cookies and
headers) are left out, and the message is scrubbed of link tokens and
credentials as it is written, whatever logger wrote it.
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
# (task name, task id) while a Celery worker runs a task.
task_var: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("comptoir_task", default=None)
# The message header a task carries its request's id in.
TASK_REQUEST_ID_HEADER = "comptoir_request_id"

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


def valid_request_id(offered: object) -> str | None:
    """The id if it looks like one (a task header is data from the broker, checked like a proxy's header)."""
    return offered if isinstance(offered, str) and _REQUEST_ID.fullmatch(offered) else None


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
    """Adds request_id, ticket, client and task to every record (None outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.ticket = ticket_var.get()
        record.client = client_var.get()
        task = task_var.get()
        if task is not None:
            record.task, record.task_id = task
        return True


# gunicorn's access log passes its atoms as the record's arguments (gunicorn.glogging): these are kept.
_ACCESS_FIELDS = (("method", "m"), ("path", "U"), ("protocol", "H"), ("status", "s"), ("bytes", "B"))


def _access(record: logging.LogRecord) -> dict[str, Any]:
    """The access log's fields, when gunicorn wrote the line (and no token filter rewrote it)."""
    atoms = record.args
    if record.name != "gunicorn.access" or not isinstance(atoms, dict):
        return {}
    fields: dict[str, Any] = {name: scrub(str(atoms[atom])) for name, atom in _ACCESS_FIELDS if atom in atoms}
    for name in ("status", "bytes"):
        if str(fields.get(name, "")).isdigit():
            fields[name] = int(fields[name])
    if str(atoms.get("M", "")).isdigit():
        fields["duration_ms"] = int(atoms["M"])
    # The id the response was sent with (RequestContextMiddleware): the request's context is gone by now.
    request_id = valid_request_id(atoms.get("{x-request-id}o"))
    if request_id:
        fields["request_id"] = request_id
    return fields


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
        for field in ("request_id", "ticket", "client", "task", "task_id"):
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        line.update(_access(record))
        status_code = getattr(record, "status_code", None)
        if isinstance(status_code, int):
            line["status"] = status_code
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)
