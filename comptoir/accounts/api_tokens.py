"""Personal API tokens: made and revoked by their owner, shown once, kept only as a hash.

A token reads ``cpt_<prefix>_<secret>``: ``cpt_`` says what it is (a secret
scanner can spot one pasted where it should not be), the prefix is public and
finds the row, the secret is 256 random bits. The row keeps the SHA-256 of the
whole token, compared in constant time; nothing kept can be turned back into a
working token.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from comptoir.accounts.models import ApiScope, ApiToken, User

logger = logging.getLogger(__name__)

TOKEN_START = "cpt_"  # noqa: S105 (what every token starts with, not a secret)
PREFIX_HEX_DIGITS = 12
# A token longer than this is not one of ours: no hash is worked out for it.
MAX_TOKEN_CHARS = 100
# Live tokens an account may hold at once: enough for every script, few enough to review.
MAX_LIVE_TOKENS = 20
# "Last used" is written at most this often per token: not one write per request.
LAST_USED_PRECISION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    # The whole token, shown to its owner once and never again.
    secret: str


class TokenState(enum.Enum):
    LIVE = "live"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class TokenCheck:
    state: TokenState
    token: ApiToken | None = None


def _digest(presented: str) -> str:
    return hashlib.sha256(presented.encode()).hexdigest()


def live_tokens(owner: User) -> QuerySet[ApiToken]:
    now = timezone.now()
    return ApiToken.objects.filter(owner=owner, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )


def tokens_of(owner: User) -> QuerySet[ApiToken]:
    """The owner's tokens, newest first, revoked and expired ones included (the page says which)."""
    return ApiToken.objects.filter(owner=owner).order_by("-created_at", "-id")


class TooManyTokens(Exception):
    """The account already holds MAX_LIVE_TOKENS live tokens."""


@transaction.atomic
def api_token_create(*, owner: User, name: str, scope: str, expires_at: datetime | None = None) -> NewToken:
    """Make a token for ``owner``; the secret is in the result, and only there."""
    if scope not in ApiScope.values:
        raise ValueError(f"unknown scope {scope!r}")
    # The owner's row, locked: two forms sent at once cannot both pass the count.
    User.objects.select_for_update().filter(pk=owner.pk).first()
    if live_tokens(owner).count() >= MAX_LIVE_TOKENS:
        raise TooManyTokens
    prefix = secrets.token_hex(PREFIX_HEX_DIGITS // 2)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        owner=owner,
        name=name.strip()[: ApiToken._meta.get_field("name").max_length],
        scope=scope,
        prefix=prefix,
        secret_hash=_digest(secret),
        expires_at=expires_at,
    )
    logger.info("user %s made API token %s (%s)", owner.pk, token.pk, scope)
    return NewToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken) -> bool:
    """Stop the token at once; False when it was revoked already."""
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    if revoked:
        logger.info("user %s revoked API token %s", token.owner_id, token.pk)
    return bool(revoked)


def api_token_check(presented: str, *, now: datetime | None = None) -> TokenCheck:
    """What a presented token is worth: one query, by its public prefix, then a constant-time comparison.

    An account closed (or erased) takes its tokens with it: UNKNOWN, as for a
    token that never was.
    """
    now = now or timezone.now()
    prefix = _prefix(presented)
    if prefix is None:
        return TokenCheck(TokenState.UNKNOWN)
    token = ApiToken.objects.select_related("owner").filter(prefix=prefix).first()
    if token is None or not hmac.compare_digest(token.secret_hash, _digest(presented)):
        return TokenCheck(TokenState.UNKNOWN)
    if not token.owner.is_active:
        return TokenCheck(TokenState.UNKNOWN)
    if token.revoked_at is not None:
        return TokenCheck(TokenState.REVOKED, token)
    if token.is_expired(now):
        return TokenCheck(TokenState.EXPIRED, token)
    return TokenCheck(TokenState.LIVE, token)


def _prefix(presented: str) -> str | None:
    if len(presented) > MAX_TOKEN_CHARS or not presented.startswith(TOKEN_START):
        return None
    prefix, separator, secret = presented.removeprefix(TOKEN_START).partition("_")
    if not separator or len(prefix) != PREFIX_HEX_DIGITS or not secret:
        return None
    return prefix


def api_token_used(token: ApiToken, *, now: datetime | None = None) -> None:
    """Note that the token was used: one UPDATE, which writes only when the last note is older than a minute.

    The condition is in the statement, so every request costs the same one
    query whether or not it writes.
    """
    now = now or timezone.now()
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_PRECISION)
    ).update(last_used_at=now)
