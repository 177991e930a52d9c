"""The "I'm not a robot" check: ALTCHA proof of work, verified here, never replayed."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import altcha
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from comptoir.core.models import SpentChallenge

ALGORITHM = "PBKDF2/SHA-256"
CHALLENGE_LIFETIME_SECONDS = 20 * 60


def new_challenge() -> dict[str, Any]:
    challenge = altcha.create_challenge(
        ALGORITHM,
        settings.COMPTOIR_ALTCHA_COST,
        expires_at=int(time.time()) + CHALLENGE_LIFETIME_SECONDS,
        hmac_secret=settings.COMPTOIR_ALTCHA_HMAC_KEY,
    )
    data: dict[str, Any] = challenge.to_dict()
    return data


def verify(payload: str) -> bool:
    """True once per solved challenge: a verified payload is spent on first use."""
    if not payload or len(payload) > 10_000:
        return False
    result = altcha.verify_solution(payload, settings.COMPTOIR_ALTCHA_HMAC_KEY)
    if not result.verified:
        return False
    parsed = altcha.Payload.from_base64(payload)
    expires = parsed.challenge.parameters.expires_at or int(time.time()) + CHALLENGE_LIFETIME_SECONDS
    try:
        with transaction.atomic():
            SpentChallenge.objects.create(
                signature=str(parsed.challenge.signature),
                expires_at=datetime.fromtimestamp(expires, tz=UTC),
            )
    except IntegrityError:
        return False
    return True


def purge_spent() -> int:
    deleted, _ = SpentChallenge.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
