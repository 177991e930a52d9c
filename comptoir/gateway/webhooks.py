"""Providers' webhooks (django-anymail): inbound mail into the one ingest path, bounces into suppressions.

Anymail checks each provider's signature or the shared basic-auth secret before
a signal fires; the webhook URLs are only mounted when that secret is set (see
comptoir/urls.py), so an unprotected endpoint never exists.
"""

from __future__ import annotations

from typing import Any

from anymail.signals import AnymailInboundEvent, AnymailTrackingEvent, inbound, tracking
from django.dispatch import receiver

from comptoir.gateway.inbound import ingest
from comptoir.mail.suppressions import address_suppress

# Provider events that mean "this address does not take our mail".
_UNDELIVERABLE = frozenset({"bounced", "rejected", "complained"})


@receiver(inbound, dispatch_uid="comptoir.gateway.webhooks.inbound")
def ingest_webhook_message(sender: Any, event: AnymailInboundEvent, esp_name: str, **kwargs: Any) -> None:
    # A TemporaryFailure propagates: anymail answers 500 and the provider retries.
    ingest(event.message.as_bytes(), source=f"webhook:{esp_name.lower()}"[:20])


@receiver(tracking, dispatch_uid="comptoir.gateway.webhooks.tracking")
def suppress_undeliverable(sender: Any, event: AnymailTrackingEvent, esp_name: str, **kwargs: Any) -> None:
    if event.event_type in _UNDELIVERABLE and event.recipient:
        address_suppress(event.recipient, f"{esp_name}: {event.event_type} {event.description or ''}".strip())
