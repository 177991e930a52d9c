"""Files that no row names any more: what an interrupted write leaves behind in storage.

A service saves a file to storage, then its row, in one transaction. Storage is
not transactional: when the transaction rolls back (a worker killed mid-write, a
database error after the file was written), the file stays with nothing pointing
at it. The periodic purge deletes such files once they are old enough that no
transaction still running can name them. Each kind of file (attachments, raw
inbound e-mail) says where its files live and which of a batch its rows name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

from django.core.files.storage import Storage
from django.utils import timezone

# Rows looked up per query: well under every database's limit on parameters.
BATCH = 500


def stored_files(storage: Storage, folder: str) -> Iterator[list[str]]:
    """The names of the files under ``folder``, one folder at a time, sub-folders included."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    if files:
        yield [f"{folder}/{name}" for name in files]
    for child in folders:
        yield from stored_files(storage, f"{folder}/{child}")


def orphans_purge(storage: Storage, folder: str, named: Callable[[list[str]], set[str]], older_than: timedelta) -> int:
    """Delete the files under ``folder`` older than ``older_than`` whose names ``named`` does not return; how many."""
    cutoff = timezone.now() - older_than
    deleted = 0
    for names in stored_files(storage, folder):
        for start in range(0, len(names), BATCH):
            batch = names[start : start + BATCH]
            kept = named(batch)
            for name in batch:
                # The age is read after the rows: a file younger than the cutoff
                # may belong to a transaction still running, and is left alone.
                if name not in kept and storage.get_modified_time(name) < cutoff:
                    storage.delete(name)
                    deleted += 1
    return deleted
