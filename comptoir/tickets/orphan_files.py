"""Attachment files that no attachment row names: what an interrupted write leaves behind.

A ticket service saves each file to storage, then its row, in one transaction.
Storage is not transactional: when the transaction rolls back (a worker killed
mid-ingestion, a database error after the file was written), the file stays
with nothing pointing at it. The periodic purge deletes such files once they
are a day old, long after any transaction that wrote them has ended.
"""

from __future__ import annotations

from datetime import timedelta

from comptoir.core.orphans import orphans_purge
from comptoir.tickets.models import Attachment

# attachments/<ticket id>/<random name> (comptoir.tickets.models.attachment_path).
_ROOT = "attachments"
ORPHAN_AGE = timedelta(days=1)


def _named(batch: list[str]) -> set[str]:
    return set(Attachment.objects.filter(file__in=batch).values_list("file", flat=True))


def attachments_purge_orphans(older_than: timedelta = ORPHAN_AGE) -> int:
    """Delete the files under attachments/ older than ``older_than`` that no Attachment row names; how many."""
    return orphans_purge(Attachment._meta.get_field("file").storage, _ROOT, _named, older_than)
