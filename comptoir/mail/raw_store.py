"""Raw inbound e-mail in file storage, named by its SHA-256 and checked against it on every read.

The rows keep what is searched and shown (status, sender, subject, the hash);
the bytes go through Django's storage API like attachments do: MEDIA_ROOT by
default, the private bucket with COMPTOIR_STORAGE=s3 (comptoir.core.storage).
Every reader, here and in the workspace, the erasure and the backup, gets the
bytes from ``raw_read``, which refuses to return bytes whose hash is not the
row's: a file damaged, replaced or mixed up raises RawEmailUnavailable.

Never lose an e-mail: ``raw_save`` writes the file before the row is inserted.
When the row's transaction rolls back the file stays with no row naming it,
and ``raw_purge_orphans`` (the periodic purge) deletes it a day later, long
after any transaction that could still name it has ended.

Each save gets its own name (``inbound/ab/cd/<sha256>.eml``, or the storage's
variant of it when taken): two rows never share a file, so deleting one row's
file never takes another's bytes.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

from comptoir.core.orphans import orphans_purge

if TYPE_CHECKING:
    from comptoir.mail.models import InboundEmail

ROOT = "inbound"
ORPHAN_AGE = timedelta(days=1)


class RawEmailUnavailable(Exception):
    """The stored bytes of an inbound e-mail cannot be given: missing, or not the ones the row's hash names."""


def raw_storage() -> Storage:
    from comptoir.mail.models import InboundEmail

    return InboundEmail._meta.get_field("raw_file").storage


def raw_name(sha256: str) -> str:
    """Where bytes with this hash are stored: two levels of folders keep each one small."""
    return f"{ROOT}/{sha256[:2]}/{sha256[2:4]}/{sha256}.eml"


def raw_save(raw: bytes) -> tuple[str, str]:
    """Write the bytes to storage; returns (the name they were saved under, their SHA-256)."""
    digest = hashlib.sha256(raw).hexdigest()
    name = raw_storage().save(raw_name(digest), ContentFile(raw))
    return name, digest


def raw_discard(name: str) -> None:
    """Delete a file written for a row that was not kept (a duplicate delivery)."""
    if name:
        raw_storage().delete(name)


def _checked(row: InboundEmail, raw: bytes, where: str) -> bytes:
    found = hashlib.sha256(raw).hexdigest()
    if found != row.sha256:
        raise RawEmailUnavailable(
            f"Inbound e-mail {row.pk}: the bytes in {where} have SHA-256 {found}, the row says {row.sha256}; "
            "they are not returned."
        )
    return raw


def raw_read(row: InboundEmail) -> bytes:
    """The message's bytes exactly as they were stored, or RawEmailUnavailable."""
    name = row.raw_file.name
    if name:
        try:
            with raw_storage().open(name, "rb") as stored:
                raw = stored.read()
        except FileNotFoundError:
            raise RawEmailUnavailable(f"Inbound e-mail {row.pk}: its file {name} is missing from storage.") from None
        return _checked(row, raw, name)
    # A row written by a node of the previous release during a rolling upgrade (docs/deploy.md):
    # its bytes are still in the database column, which the next release drops.
    if row.legacy_raw is not None:
        return _checked(row, bytes(row.legacy_raw), "the database row")
    raise RawEmailUnavailable(f"Inbound e-mail {row.pk} has no stored bytes.")


def raw_replace(row: InboundEmail, raw: bytes) -> None:
    """Store other bytes for the row (the erasure of an address); the old file goes once the change commits."""
    from comptoir.mail.models import InboundEmail

    old = row.raw_file.name
    name, digest = raw_save(raw)
    InboundEmail.objects.filter(pk=row.pk).update(raw_file=name, sha256=digest, legacy_raw=None)
    row.raw_file.name, row.sha256, row.legacy_raw = name, digest, None
    # Rolled back, the row still names the old file, and the new one is an orphan for the purge.
    transaction.on_commit(lambda: raw_discard(old))


def raw_delete(row: InboundEmail) -> None:
    """Delete the row and, once that commits, its file."""
    name = row.raw_file.name
    row.delete()
    transaction.on_commit(lambda: raw_discard(name))


def _named(batch: list[str]) -> set[str]:
    from comptoir.mail.models import InboundEmail

    return set(InboundEmail.objects.filter(raw_file__in=batch).values_list("raw_file", flat=True))


def raw_purge_orphans(older_than: timedelta = ORPHAN_AGE) -> int:
    """Delete the files under inbound/ older than ``older_than`` that no row names; how many."""
    return orphans_purge(raw_storage(), ROOT, _named, older_than)
