"""Raw inbound e-mail in file storage, named by its SHA-256 and checked against it on every read.

The rows keep what is searched and shown (status, sender, subject, the hash);
the bytes go through Django's storage API like attachments do: MEDIA_ROOT by
default, the private bucket with COMPTOIR_STORAGE=s3 (comptoir.core.storage).
Every reader, here and in the workspace, the erasure and the backup, gets the
bytes from ``raw_read``, which refuses to return bytes whose hash is not the
row's: a file damaged, replaced or mixed up raises RawEmailUnavailable.

Never lose an e-mail: ``raw_save`` writes the file before the row is inserted,
and on local disk flushes it and its folders to the disk (fsync: the file's folder
each time, those above it when they changed, see ``_flush_to_disk``), so that a power
cut after the row commits (and the sender is told we have it) cannot take bytes
the operating system still held in memory. S3 answers an upload once it is stored.
When the row's transaction rolls back the file stays with no row naming it,
and ``raw_purge_orphans`` (the periodic purge) deletes it a day later, long
after any transaction that could still name it has ended.

Each save gets its own name (``inbound/YYYY/MM/DD/HH/<sha256>.eml``, the hour of
the save in UTC, or the storage's variant of it when taken): two rows never share
a file, so deleting one row's file never takes another's bytes. The hour lets the
purge read only the few days of files that can be orphans old enough to go, not
every e-mail ever kept. Files saved before (``inbound/ab/cd/<sha256>.eml``) keep
their names; ``raw_purge_orphans(days=None)`` reads those folders too, once.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction
from django.utils import timezone

from comptoir.core.orphans import hour_folder, hour_folders, hour_start, orphans_purge

if TYPE_CHECKING:
    from comptoir.mail.models import InboundEmail

ROOT = "inbound"
ORPHAN_AGE = timedelta(days=1)
# The days of files before the cutoff that each purge reads again: one that did not run for that
# long (the workers or beat stopped) still finds its orphans. Run raw_purge_orphans(days=N) after
# a longer outage.
ORPHAN_DAYS = 2
# How long after its file a row may be inserted: the rows received from the file's hour to this
# much later are looked up by time (an index); the others by name.
_ROW_AFTER_FILE = timedelta(hours=1)


class RawEmailUnavailable(Exception):
    """The stored bytes of an inbound e-mail cannot be given: missing, or not the ones the row's hash names."""


def raw_storage() -> Storage:
    from comptoir.mail.models import InboundEmail

    return InboundEmail._meta.get_field("raw_file").storage


def raw_name(sha256: str, when: datetime) -> str:
    """Where bytes with this hash saved at ``when`` are stored: a folder per hour keeps each one small."""
    return f"{hour_folder(ROOT, when)}/{sha256}.eml"


def raw_save(raw: bytes) -> tuple[str, str]:
    """Write the bytes to storage; returns (the name they were saved under, their SHA-256)."""
    digest = hashlib.sha256(raw).hexdigest()
    storage = raw_storage()
    name = storage.save(raw_name(digest, timezone.now()), ContentFile(raw))
    _flush_to_disk(storage, name)
    return name, digest


# The folders (absolute paths) this process flushed to the disk, each with its inode and modification
# time as they were just before the flush: while a folder still shows them, no entry in it was added,
# removed or replaced since, so each entry it held is on the disk, and the folder itself was not made
# again (its own entry above is the one flushed then). The time moves by the kernel's clock tick (a few
# milliseconds): a change in the very tick of the flush would not show, but the entries these folders
# get are an hour's, a day's, a month's folders, made that far apart. Process memory is enough: it only
# spares a process flushes it did itself, and a new process flushes the whole chain once.
_flushed_folders: dict[str, tuple[int, int]] = {}
# The hour folders' parents each day, month and year: the bound only keeps a process that runs for
# years from growing it without end.
_FLUSHED_FOLDERS_KEPT = 1000


def _state(path: str) -> tuple[int, int]:
    found = os.stat(path)
    return found.st_ino, found.st_mtime_ns


def _fsync(path: str) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _flush_to_disk(storage: Storage, name: str) -> None:
    """The file's bytes, and each folder's entry from the storage's root down to it, on the disk itself
    (local storage only), before the row naming the file commits.

    An entry not yet on disk loses the file as surely as its bytes would. The file and its folder are
    flushed every time (the file is new in it); above, each folder is flushed unless it is unchanged
    since this process flushed it (its inode and modification time as they were then: another process
    adding an hour's folder, or a folder removed and made again, changes them). The hour's folder is new
    each hour, its parents each day, month and year: two flushes a message instead of seven, and a stat
    of the day's folder. A folder is remembered only once every folder above it is flushed too, so that
    another thread saving meanwhile flushes the chain again rather than trusting a half-done one.
    """
    try:
        path = storage.path(name)
    except NotImplementedError:
        # A remote storage (S3) has the object once the upload returned.
        return
    _fsync(path)
    folder = os.path.dirname(path)
    _fsync(folder)
    flushed: dict[str, tuple[int, int]] = {}
    # inbound/YYYY/MM/DD/HH/<file>: each of the five folders is an entry in the one above (ROOT's in the root).
    for _ in range(name.count("/")):
        parent = os.path.dirname(folder)
        state = _state(parent)
        if _flushed_folders.get(parent) == state:
            break
        _fsync(parent)
        flushed[parent] = state
        folder = parent
    if len(_flushed_folders) > _FLUSHED_FOLDERS_KEPT:
        _flushed_folders.clear()
    _flushed_folders.update(flushed)


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
    """The names of the batch (files of one folder) that rows name.

    Looked up first among the rows received from the folder's hour to a little after it, through the
    (status, received_at) index, since a row is inserted right after its file; the names left over
    (a file replaced for an old row by an erasure, a row inserted late, a file of the former layout)
    then by name, a scan, paid only for those few: a file is never deleted because a row was missed.
    """
    from comptoir.mail.models import InboundEmail, InboundStatus

    rows = InboundEmail.objects.order_by()
    found: set[str] = set()
    start = hour_start(batch[0].rsplit("/", 1)[0])
    if start is not None:
        received = (start - _ROW_AFTER_FILE, start + timedelta(hours=1) + _ROW_AFTER_FILE)
        in_hour = rows.filter(status__in=InboundStatus.values, received_at__range=received, raw_file__in=batch)
        found.update(in_hour.values_list("raw_file", flat=True))
    rest = [name for name in batch if name not in found]
    if rest:
        found.update(rows.filter(raw_file__in=rest).values_list("raw_file", flat=True))
    return found


def raw_purge_orphans(older_than: timedelta = ORPHAN_AGE, *, days: int | None = ORPHAN_DAYS) -> int:
    """Delete the files under inbound/ older than ``older_than`` that no row names; how many.

    Only the hour folders of the ``days`` days before the cutoff and up to it are read, each file
    looked up once per run. ``days=None`` reads every folder under inbound/, the former layout's
    included: once after upgrading, or after the purge stopped for longer than ``days``.
    """
    if days is None:
        return orphans_purge(raw_storage(), ROOT, _named, older_than)
    cutoff = timezone.now() - older_than
    folders = hour_folders(ROOT, since=cutoff - timedelta(days=days), until=cutoff)
    return orphans_purge(raw_storage(), folders, _named, older_than)
