"""Ticket-link and survey tokens kept out of the request logs.

Links e-mailed before /t/#<token> carry their token in the path, /t/<token>/,
which request logs would keep for anyone who reads them: Django's
(``django.request`` logs each 404 with its path, ``django.server`` each request
runserver answers) and gunicorn's access log. This filter writes ``/t/***/``
instead; likewise for the satisfaction survey's link, ``/<lang>/surveys/<token>/``.
A reverse proxy keeps its own log: docs/configuration.md says how to leave the
path out there.
"""

from __future__ import annotations

import logging
import re

# /t/ or /surveys/ and what follows up to the next slash, space, quote, "?" or "#": never /tickets/.
_TOKEN_IN_PATH = re.compile(r"(/t/|/surveys/)[^/\s\"'?#]+")
SCRUBBED = r"\1***"
# gunicorn configures its loggers before Django starts, so LOGGING cannot reach
# them; a filter on each logger sees every record it writes, whatever its handlers.
# django.security.csrf logs the path of every refused POST (a survey's included).
REQUEST_LOGGERS = ("django.request", "django.server", "django.security.csrf", "gunicorn.access", "gunicorn.error")


class TicketTokenFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            # A malformed record fails again in its handler, which reports it; never in the caller.
            return True
        scrubbed = _TOKEN_IN_PATH.sub(SCRUBBED, message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, ()
        return True


TICKET_TOKEN_FILTER = TicketTokenFilter()


def request_logs_scrub() -> None:
    """Called once the apps are ready; adding the same filter again changes nothing."""
    for name in REQUEST_LOGGERS:
        logging.getLogger(name).addFilter(TICKET_TOKEN_FILTER)
