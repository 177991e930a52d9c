"""Random tokens carried by e-mailed links (ticket links, satisfaction surveys).

The raw token exists only in the e-mail and in the address followed; the
database keeps its SHA-256, so a copy of the database opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets

# 256 random bits.
TOKEN_BYTES = 32
# Longer input is refused before hashing: no real token comes close.
MAX_TOKEN_LENGTH = 100


def token_new() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def token_looks_valid(raw_token: str) -> bool:
    """Worth a database lookup: not empty, not absurdly long."""
    return bool(raw_token) and len(raw_token) <= MAX_TOKEN_LENGTH
