"""The "I'm not a robot" check: ALTCHA proof of work, verified here, never replayed.

The challenge is issued in ALTCHA's deterministic mode: the server picks the
counter, derives its key once (one PBKDF2 at ``COMPTOIR_ALTCHA_COST``) and
publishes the key's first half as the prefix to find, with an HMAC of the whole
key (``keySignature``) inside the signed parameters. The visitor's browser
still has to try counters from 0 until one derives a key with that prefix: as
many derivations on average as the random mode's "00" prefix asked (256), and
never more than twice that. The form's POST then checks two HMACs instead of
re-running the derivation: the second half of the key cannot be known without
doing the work, and a wrong one fails the key's HMAC. The server's one
derivation moves to the challenge's GET (comptoir.core.views.altcha_challenge):
a robot asking for challenges costs the server what a POST with a wrong answer
cost before, one derivation (about 3 ms) per request, less than rendering the
form's page.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime
from typing import Any

import altcha
from django.conf import settings
from django.db import connection
from django.utils import timezone

from comptoir.core.models import SpentChallenge

ALGORITHM = "PBKDF2/SHA-256"
CHALLENGE_LIFETIME_SECONDS = 20 * 60
# The random mode's prefix of one zero byte takes 256 derivations on average; a counter drawn
# evenly below twice that takes as many on average, and never more than 512.
COUNTER_CEILING = 2 * 256


def _key_secret() -> bytes:
    """The HMAC key of derived keys: another key than the parameters', from the same secret."""
    secret = settings.COMPTOIR_ALTCHA_HMAC_KEY.encode()
    return hmac.new(secret, b"comptoir.core.captcha.derived-key", hashlib.sha256).digest()


def new_challenge() -> dict[str, Any]:
    challenge = altcha.create_challenge(
        ALGORITHM,
        settings.COMPTOIR_ALTCHA_COST,
        counter=secrets.randbelow(COUNTER_CEILING),
        expires_at=int(time.time()) + CHALLENGE_LIFETIME_SECONDS,
        hmac_secret=settings.COMPTOIR_ALTCHA_HMAC_KEY,
        hmac_key_secret=_key_secret(),
    )
    data: dict[str, Any] = challenge.to_dict()
    return data


def verify(payload: str) -> bool:
    """True once per solved challenge: a verified payload is spent on first use."""
    if not payload or len(payload) > 10_000:
        return False
    try:
        parsed = altcha.Payload.from_base64(payload)
    except (ValueError, KeyError, TypeError, RecursionError):
        return False
    # Only our deterministic challenges: one without a key signature would make the library
    # fall back to re-deriving the key, which is the cost this design keeps off the POST.
    if not parsed.challenge.parameters.key_signature:
        return False
    result = altcha.verify_solution(parsed, settings.COMPTOIR_ALTCHA_HMAC_KEY, hmac_key_secret=_key_secret())
    if not result.verified:
        return False
    expires = parsed.challenge.parameters.expires_at or int(time.time()) + CHALLENGE_LIFETIME_SECONDS
    return _spend(str(parsed.challenge.signature), datetime.fromtimestamp(expires, tz=UTC))


def _spend(signature: str, expires_at: datetime) -> bool:
    """Record the challenge as spent; False when it already was (a replay).

    One statement, no savepoint: a conflict on the unique signature inserts nothing
    (SQLite and PostgreSQL both read ON CONFLICT DO NOTHING) and the row count says so.
    """
    table = connection.ops.quote_name(SpentChallenge._meta.db_table)
    sql = f"INSERT INTO {table} (signature, expires_at) VALUES (%s, %s) ON CONFLICT (signature) DO NOTHING"  # noqa: S608 - only the table's name is formatted in
    with connection.cursor() as cursor:
        cursor.execute(sql, [signature, connection.ops.adapt_datetimefield_value(expires_at)])
        inserted: int = cursor.rowcount
    return inserted == 1


def purge_spent() -> int:
    deleted, _ = SpentChallenge.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
