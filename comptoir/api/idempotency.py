"""``Idempotency-Key`` on ticket creation: a request retried with the same key creates one ticket.

The key is claimed in the same transaction as the ticket it creates. Two
requests with the same key at once: the second waits on the unique index
until the first commits, then reads the first one's ticket (PostgreSQL; SQLite
writes one at a time anyway). A key is remembered for KEPT_FOR, then forgotten
by the periodic purge.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.request import Request

from comptoir.accounts.models import User
from comptoir.api.models import IdempotencyKey
from comptoir.api.problems import QueryInvalid
from comptoir.tickets.models import Ticket

IDEMPOTENCY_HEADER = "Idempotency-Key"


KEPT_FOR = timedelta(hours=24)
MAX_KEY_CHARS = 255


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def request_fingerprint(data: dict[str, Any]) -> str:
    """The request as the service would read it: the same values in another order are the same request."""
    return _sha256(json.dumps(data, sort_keys=True, default=str))


@dataclass(frozen=True)
class Claim:
    record: IdempotencyKey
    # The key is this request's: it creates the ticket (and key_fulfil records it).
    fresh: bool
    # The ticket a former request with this key created.
    ticket: Ticket | None = None
    # The key came with another request body before.
    conflict: bool = False


def key_claim(*, owner: User, key: str, fingerprint: str) -> Claim:
    """Claim ``key`` for this request, inside the caller's transaction, or find what it was used for."""
    assert transaction.get_connection().in_atomic_block, "claim the key in the transaction that creates the ticket"
    key_hash = _sha256(key)
    IdempotencyKey.objects.filter(owner=owner, key_hash=key_hash, created_at__lt=timezone.now() - KEPT_FOR).delete()
    try:
        with transaction.atomic():
            record = IdempotencyKey.objects.create(owner=owner, key_hash=key_hash, request_hash=fingerprint)
        return Claim(record=record, fresh=True)
    except IntegrityError:
        # Committed by the request that holds the key (the unique index made this one wait for it).
        record = IdempotencyKey.objects.select_related("ticket").get(owner=owner, key_hash=key_hash)
    return Claim(record=record, fresh=False, ticket=record.ticket, conflict=record.request_hash != fingerprint)


def key_fulfil(claim: Claim, ticket: Ticket) -> None:
    """The ticket this claim's request created: what a retry gets back."""
    IdempotencyKey.objects.filter(pk=claim.record.pk).update(ticket=ticket)


def idempotency_keys_purge() -> int:
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - KEPT_FOR).delete()
    return deleted


def idempotency_key(request: Request) -> str | None:
    """The request's Idempotency-Key, None without one; a key that cannot be one is a 400 problem."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not key.strip() or len(key) > MAX_KEY_CHARS or not key.isprintable():
        raise QueryInvalid({IDEMPOTENCY_HEADER: [gettext("Send a key of 1 to 255 printable characters.")]})
    return key
