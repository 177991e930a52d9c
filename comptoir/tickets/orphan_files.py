"""Attachment files that no attachment row names: what an interrupted write leaves behind.

A ticket service saves each file to storage, then its row, in one transaction.
Storage is not transactional: when the transaction rolls back (a worker killed
mid-ingestion, a database error after the file was written), the file stays
with nothing pointing at it. The periodic purge deletes such files once they
are a day old, long after any transaction that wrote them has ended.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.core.files.storage import Storage
from django.utils import timezone

from comptoir.tickets.models import Attachment

# attachments/<ticket id>/<random name> (comptoir.tickets.models.attachment_path).
_ROOT = "attachments"
# Rows looked up per query: well under every database's limit on parameters.
_BATCH = 500
ORPHAN_AGE = timedelta(days=1)


def _stored_files(storage: Storage) -> Iterator[list[str]]:
    """The names of the files under attachments/, one folder (one ticket) at a time."""
    try:
        folders, files = storage.listdir(_ROOT)
    except FileNotFoundError:
        return
    yield [f"{_ROOT}/{name}" for name in files]
    for folder in folders:
        _, files = storage.listdir(f"{_ROOT}/{folder}")
        yield [f"{_ROOT}/{folder}/{name}" for name in files]


def attachments_purge_orphans(older_than: timedelta = ORPHAN_AGE) -> int:
    """Delete the files under attachments/ older than ``older_than`` that no Attachment row names; how many."""
    storage = Attachment._meta.get_field("file").storage
    cutoff = timezone.now() - older_than
    deleted = 0
    for names in _stored_files(storage):
        for start in range(0, len(names), _BATCH):
            batch = names[start : start + _BATCH]
            named = set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))
            for name in batch:
                # The age is read after the rows: a file younger than the cutoff
                # may belong to a transaction still running, and is left alone.
                if name not in named and storage.get_modified_time(name) < cutoff:
                    storage.delete(name)
                    deleted += 1
    return deleted
