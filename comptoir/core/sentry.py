"""Errors to Sentry when SENTRY_DSN is set, without the people they concern.

sentry-sdk is optional (`pip install comptoir[sentry]`). It is started with
send_default_pii at its default, off (no cookies, no user, no client address;
naming it only draws a deprecation warning from sentry-sdk 2.7x), and every
event passes through ``scrub_event`` before it leaves: e-mail addresses become
"[email]" and link tokens and credentials are blanked, wherever they sit in
the event (messages, exception values, breadcrumbs, local variables).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from comptoir.core.logging_json import scrub

_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")
# Keys whose value is dropped whole, wherever they are.
_SECRET_KEYS = re.compile(r"(?i)authorization|cookie|passw|secret|token|api[_-]?key|^body|_body$|^raw$")


def _clean(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return "[deep]"
    if isinstance(value, str):
        return scrub(_EMAIL.sub("[email]", value))
    if isinstance(value, dict):
        return {
            key: "[scrubbed]" if isinstance(key, str) and _SECRET_KEYS.search(key) else _clean(item, depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(item, depth + 1) for item in value]
    return value


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """sentry-sdk's before_send (and before_breadcrumb): the event without addresses or secrets."""
    cleaned: dict[str, Any] = _clean(event)
    cleaned.pop("user", None)
    return cleaned


def sentry_start(dsn: str, **options: Any) -> None:
    """``options`` go to sentry_sdk.init as they are (the tests give a transport that sends nothing)."""
    try:
        import sentry_sdk
        from sentry_sdk.integrations.django import DjangoIntegration
    except ImportError:
        raise ImproperlyConfigured(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install sentry-sdk"
        ) from None
    sentry_sdk.init(
        dsn=dsn,
        integrations=[DjangoIntegration()],
        before_send=scrub_event,  # type: ignore[arg-type]  # a plain dict is what it receives
        before_breadcrumb=scrub_event,
        **options,
    )
