"""Files that no row names any more: what an interrupted write leaves behind in storage.

A service saves a file to storage, then its row, in one transaction. Storage is
not transactional: when the transaction rolls back (a worker killed mid-write, a
database error after the file was written), the file stays with nothing pointing
at it. The periodic purge deletes such files once they are old enough that no
transaction still running can name them. Each kind of file (attachments, raw
inbound e-mail) says where its files live and which of a batch its rows name.

Listing a whole folder grows with every file ever kept. Files written under a
folder per hour (``hour_folder``) let the purge read only the hours that can hold
an orphan old enough to go (``hour_folders``): what was written from a few days
before the cutoff up to it, the same amount of work at a thousand files or at millions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta

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


def hour_folder(root: str, when: datetime) -> str:
    """The folder of the files written at ``when``: ``root/YYYY/MM/DD/HH``, in UTC: no hour is lived twice."""
    return f"{root}/{when.astimezone(UTC):%Y/%m/%d/%H}"


def hour_start(folder: str) -> datetime | None:
    """When the hour of a folder made by ``hour_folder`` begins (None for a folder of another shape)."""
    try:
        return datetime.strptime("/".join(folder.split("/")[-4:]), "%Y/%m/%d/%H").replace(tzinfo=UTC)
    except ValueError:
        return None


def hour_folders(root: str, *, since: datetime, until: datetime) -> list[str]:
    """The hour folders from the one of ``since`` to the one of ``until``, both included, oldest first."""
    hour = since.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    folders = []
    while hour <= until:
        folders.append(hour_folder(root, hour))
        hour += timedelta(hours=1)
    return folders


def orphans_purge(
    storage: Storage,
    folder: str | Iterable[str],
    named: Callable[[list[str]], set[str]],
    older_than: timedelta,
) -> int:
    """Delete the files under ``folder`` older than ``older_than`` whose names ``named`` does not return; how many.

    ``folder``: one folder, or several (those ``hour_folders`` names), each read with its sub-folders.
    """
    cutoff = timezone.now() - older_than
    deleted = 0
    folders = [folder] if isinstance(folder, str) else folder
    for names in (batch for each in folders for batch in stored_files(storage, each)):
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
