"""Files left in storage by an interrupted write are deleted by the periodic purge, once a day old.

Real storage: the tests' MEDIA_ROOT is a temporary folder (tests/conftest.py),
and the purge runs as the beat job does (comptoir.core.tasks).
"""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from comptoir.core.tasks import purge_expired_records
from comptoir.gateway.inbound import ingest
from comptoir.tickets.models import Attachment
from comptoir.tickets.orphan_files import ORPHAN_AGE
from tests.conftest import png_bytes
from tests.mail.test_ingest import with_attachments

pytestmark = pytest.mark.django_db


class Interrupted(Exception):
    pass


def storage():
    return Attachment._meta.get_field("file").storage


def age(name: str, by: timedelta) -> None:
    """Make a stored file look older, as the day passing would."""
    then = time.time() - by.total_seconds()
    os.utime(storage().path(name), (then, then))


def stored_files() -> set[str]:
    root = storage().path("attachments")
    return {
        os.path.relpath(os.path.join(folder, name), storage().path(""))
        for folder, _, names in os.walk(root)
        for name in names
    }


@transaction.atomic
def interrupted_ingestion(raw: bytes) -> None:
    """Ingest, then fail before the commit, as a killed worker or a lost database connection would."""
    ingest(raw, source="test")
    raise Interrupted


def test_the_purge_deletes_the_file_an_interrupted_ingestion_left_and_keeps_every_other():
    kept = ingest(with_attachments([("kept.png", "image/png", png_bytes())]), source="test")
    kept_file = Attachment.objects.get(ticket=kept.ticket).file.name
    # An ingestion interrupted after its file was written: the transaction rolls back, the file stays.
    raw = with_attachments([("lost.png", "image/png", png_bytes())]).replace(
        b"<files@mail.example.net>", b"<interrupted@mail.example.net>"
    )
    with pytest.raises(Interrupted):
        interrupted_ingestion(raw)
    orphans = stored_files() - {kept_file}
    assert len(orphans) == 1 and not Attachment.objects.filter(file__in=orphans).exists()
    (orphan,) = orphans
    young_orphan = storage().save(f"attachments/{kept.ticket_id}/young", ContentFile(b"written a minute ago"))
    for name in (orphan, kept_file):
        age(name, ORPHAN_AGE + timedelta(hours=1))

    result = purge_expired_records()

    assert result["orphan_attachment_files"] == 1
    assert stored_files() == {kept_file, young_orphan}
    with Attachment.objects.get(ticket=kept.ticket).file.open("rb") as stored:
        assert stored.read() == png_bytes()
    # Nothing left to do the next time.
    assert purge_expired_records()["orphan_attachment_files"] == 0


def test_the_purge_runs_with_no_attachment_folder_at_all():
    assert purge_expired_records()["orphan_attachment_files"] == 0
