"""The purge of raw e-mail files no row names reads only the recent hours' folders, and never deletes a named file.

Real storage: the tests' MEDIA_ROOT is a temporary folder (tests/conftest.py).
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from comptoir.core.orphans import hour_folder, hour_folders, hour_start
from comptoir.core.tasks import purge_expired_records
from comptoir.mail.models import InboundEmail
from comptoir.mail.raw_store import ORPHAN_AGE, ORPHAN_DAYS, raw_name, raw_purge_orphans, raw_storage

pytestmark = pytest.mark.django_db


def stored(name: str, *, written_ago: timedelta) -> str:
    """A file saved under ``name``, its modification time ``written_ago`` in the past."""
    storage = raw_storage()
    saved = storage.save(name, ContentFile(name.encode()))
    then = time.time() - written_ago.total_seconds()
    os.utime(storage.path(saved), (then, then))
    return saved


def digest(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def written(label: str, ago: timedelta) -> str:
    """A file as raw_save would have written it ``ago``: in that hour's folder, that old."""
    return stored(raw_name(digest(label), timezone.now() - ago), written_ago=ago)


def row_naming(name: str, *, received_ago: timedelta) -> InboundEmail:
    row = InboundEmail.objects.create(dedup_key=name, sha256="0" * 64, size=1, source="test", raw_file=name)
    InboundEmail.objects.filter(pk=row.pk).update(received_at=timezone.now() - received_ago)
    return row


def exists(name: str) -> bool:
    return raw_storage().exists(name)


def test_hour_folders_name_each_hour_in_utc_and_read_back():
    since = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # the night the clocks of Paris go forward

    folders = hour_folders("inbound", since=since, until=since + timedelta(hours=3))

    assert folders == [
        "inbound/2026/03/29/00",
        "inbound/2026/03/29/01",
        "inbound/2026/03/29/02",
        "inbound/2026/03/29/03",
    ]
    assert hour_folder("inbound", since) == folders[0]
    assert hour_start(folders[2]) == datetime(2026, 3, 29, 2, tzinfo=UTC)
    assert hour_start("inbound/ab/cd") is None


def test_it_deletes_the_old_orphans_of_the_recent_hours_and_reads_no_older_folder():
    old_enough = written("orphan", ORPHAN_AGE + timedelta(hours=3))
    young = written("in flight", ORPHAN_AGE - timedelta(hours=1))
    # Beyond the days each run reads again: its folder is not listed at all, so it stays.
    forgotten = written("forgotten", ORPHAN_AGE + timedelta(days=ORPHAN_DAYS, hours=2))
    # The former layout's folders are not listed either.
    former = stored(f"inbound/ab/cd/{digest('former')}.eml", written_ago=timedelta(days=30))

    assert raw_purge_orphans() == 1

    assert not exists(old_enough)
    assert exists(young) and exists(forgotten) and exists(former)
    # A run after a long outage, or once after upgrading, reads every folder.
    assert raw_purge_orphans(days=None) == 2
    assert exists(young) and not exists(forgotten) and not exists(former)


def test_a_file_a_row_names_is_kept_however_far_its_row_was_received_from_its_hour():
    ago = ORPHAN_AGE + timedelta(hours=5)
    usual = written("usual", ago)
    row_naming(usual, received_ago=ago)
    # An erasure stores new bytes for a message received long before (raw_replace): found by its name.
    replaced = written("replaced", ago)
    row_naming(replaced, received_ago=timedelta(days=400))
    former = stored(f"inbound/ab/cd/{digest('former')}.eml", written_ago=timedelta(days=30))
    row_naming(former, received_ago=timedelta(days=30))
    orphan = written("orphan", ago)

    assert purge_expired_records()["orphan_inbound_email_files"] == 1
    assert raw_purge_orphans(days=None) == 0

    assert exists(usual) and exists(replaced) and exists(former)
    assert not exists(orphan)


def test_a_folder_whose_files_are_all_named_costs_one_indexed_query(django_assert_num_queries):
    ago = ORPHAN_AGE + timedelta(hours=2)
    for n in range(5):
        row_naming(written(f"kept {n}", ago), received_ago=ago)
    # In the same folder, named by a row received long before (an erasure's new bytes).
    late = written("late", ago)
    row_naming(late, received_ago=timedelta(days=400))

    # 1 the rows received around the folder's hour naming the files, 2 the one left over looked up by name.
    with django_assert_num_queries(2):
        assert raw_purge_orphans() == 0
    InboundEmail.objects.filter(raw_file=late).delete()
    assert raw_purge_orphans() == 1
