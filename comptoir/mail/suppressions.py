"""The one writer of EmailSuppression rows: addresses we send nothing to for a while.

Bounces and providers' webhooks (comptoir.gateway) suppress an address when it
does not take our mail; the outbound queue reads the rows before sending.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from comptoir.mail.models import EmailSuppression


def address_suppress(address: str, reason: str, *, days: int | None = None) -> None:
    """Send nothing more to the address for ``days`` (default COMPTOIR_BOUNCE_SUPPRESSION_DAYS).

    The address is stored lowercased; suppressing it again replaces the reason and the date.
    """
    if days is None:
        days = settings.COMPTOIR_BOUNCE_SUPPRESSION_DAYS
    EmailSuppression.objects.update_or_create(
        email=address.lower(),
        defaults={"reason": reason[:1000], "until": timezone.now() + timedelta(days=days)},
    )


def address_unsuppress(address: str) -> None:
    """Mail may go to the address again (any letter case)."""
    EmailSuppression.objects.filter(email__iexact=address).delete()
