"""Raw inbound e-mail lives in file storage under its SHA-256, and is read back only if the hash still holds."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import OperationalError, transaction

from comptoir.core.orphans import hour_start
from comptoir.gateway.inbound import TemporaryFailure, ingest, quarantine_delete
from comptoir.mail import raw_store
from comptoir.mail.models import InboundEmail, InboundStatus, QuarantineKind
from comptoir.mail.raw_store import RawEmailUnavailable, raw_name, raw_purge_orphans, raw_read, raw_storage
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db


def stored_names() -> list[str]:
    storage = raw_storage()
    names: list[str] = []

    def walk(folder: str) -> None:
        try:
            folders, files = storage.listdir(folder)
        except FileNotFoundError:
            return
        names.extend(f"{folder}/{name}" for name in files)
        for child in folders:
            walk(f"{folder}/{child}")

    walk("inbound")
    return sorted(names)


def test_it_stores_the_bytes_in_a_file_named_by_their_hash_not_in_the_row(settings):
    raw = raw_message(message_id="<stored@example.net>")
    digest = hashlib.sha256(raw).hexdigest()

    row = InboundEmail.objects.get(pk=ingest(raw, source="test").pk)

    assert row.sha256 == digest
    # In the folder of the hour it was saved (UTC), just before the row was inserted.
    folder, file_name = row.raw_file.name.rsplit("/", 1)
    assert file_name == f"{digest}.eml"
    saved_at = hour_start(folder)
    assert saved_at is not None and timedelta(0) <= row.received_at - saved_at < timedelta(hours=1, minutes=1)
    assert row.raw_file.name == raw_name(digest, saved_at)
    assert row.legacy_raw is None
    with open(f"{settings.MEDIA_ROOT}/{row.raw_file.name}", "rb") as stored:
        assert stored.read() == raw
    assert raw_read(row) == raw


def test_the_file_and_every_folder_down_to_it_are_flushed_to_the_disk_before_the_row(settings, monkeypatch):
    flushed: list[str] = []
    rows_when_flushed: list[int] = []
    fsync = os.fsync

    def recorded(descriptor: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        rows_when_flushed.append(InboundEmail.objects.count())
        fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recorded)
    monkeypatch.setattr(raw_store, "_flushed_folders", {})  # this process has flushed none of these folders yet

    row = InboundEmail.objects.get(pk=ingest(raw_message(message_id="<flushed@example.net>"), source="test").pk)

    root = os.path.realpath(settings.MEDIA_ROOT)
    path = os.path.realpath(f"{root}/{row.raw_file.name}")
    folders = [os.path.dirname(path)]
    while folders[-1] != root:
        folders.append(os.path.dirname(folders[-1]))
    # The file, its hour, day, month and year folders, inbound/ and the root: each entry a power cut could lose.
    assert flushed == [path, *folders] and len(folders) == 6
    assert rows_when_flushed == [0] * 7


def test_a_file_that_no_longer_matches_its_hash_is_refused_never_returned():
    raw = raw_message(message_id="<tampered@example.net>")
    row = ingest(raw, source="test")
    storage = raw_storage()
    storage.delete(row.raw_file.name)
    storage.save(row.raw_file.name, ContentFile(raw.replace(b"printer", b"payment")))

    with pytest.raises(RawEmailUnavailable) as refused:
        raw_read(InboundEmail.objects.get(pk=row.pk))

    assert row.sha256 in str(refused.value)
    assert f"Inbound e-mail {row.pk}" in str(refused.value)


def test_a_missing_file_is_said_so():
    row = ingest(raw_message(message_id="<missing@example.net>"), source="test")
    raw_storage().delete(row.raw_file.name)

    with pytest.raises(RawEmailUnavailable, match="missing"):
        raw_read(InboundEmail.objects.get(pk=row.pk))


def test_a_second_delivery_of_the_same_message_leaves_one_file():
    raw = raw_message(message_id="<twice@example.net>")
    first = ingest(raw, source="test")

    again = ingest(raw, source="imap:support")

    assert again.pk == first.pk
    assert stored_names() == [first.raw_file.name]


def test_a_row_stored_in_the_database_by_the_previous_release_is_still_read_and_checked():
    raw = raw_message(message_id="<legacy@example.net>")
    row = InboundEmail.objects.create(
        dedup_key="mid:legacy@example.net", sha256=hashlib.sha256(raw).hexdigest(), legacy_raw=raw,
        size=len(raw), source="test",
    )  # fmt: skip
    assert raw_read(row) == raw

    InboundEmail.objects.filter(pk=row.pk).update(sha256="0" * 64)
    with pytest.raises(RawEmailUnavailable, match="the database row"):
        raw_read(InboundEmail.objects.get(pk=row.pk))


def test_a_stored_message_whose_file_is_gone_is_quarantined_as_failed_not_retried_for_ever(monkeypatch):
    raw = raw_message(message_id="<gone@example.net>")

    # Stored, then our side failed acting on it: the periodic job reads it again from storage.
    def database_down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("comptoir.gateway.inbound._act", database_down)
    with pytest.raises(TemporaryFailure):
        ingest(raw, source="test")
    monkeypatch.undo()
    row = InboundEmail.objects.get(message_id="gone@example.net")
    assert row.status == InboundStatus.RECEIVED
    raw_storage().delete(row.raw_file.name)
    from comptoir.gateway.inbound import _process

    done = _process(InboundEmail.objects.get(pk=row.pk))

    assert (done.status, done.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.FAILED)
    assert "missing" in done.quarantine_reason


def test_the_file_is_written_before_the_row_and_outlives_a_rolled_back_row_until_the_purge():
    raw = raw_message(message_id="<rolled-back@example.net>")

    class RolledBack(Exception):
        pass

    def ingest_then_fail() -> None:
        with transaction.atomic():
            ingest(raw, source="test")
            raise RolledBack

    with pytest.raises(RolledBack):
        ingest_then_fail()

    assert not InboundEmail.objects.exists()
    [orphan] = stored_names()
    kept = ingest(raw_message(message_id="<kept@example.net>"), source="test")

    # A day old by default: a younger file may belong to a transaction still running.
    assert raw_purge_orphans() == 0
    assert raw_purge_orphans(older_than=timedelta(0)) == 1

    assert stored_names() == [kept.raw_file.name]
    assert orphan != kept.raw_file.name


def test_deleting_a_quarantined_message_deletes_its_file_once_committed(agent, django_capture_on_commit_callbacks):
    row = ingest(raw_message(message_id="<junk@example.net>"), source="test")
    InboundEmail.objects.filter(pk=row.pk).update(status=InboundStatus.QUARANTINED)
    assert stored_names() == [row.raw_file.name]

    with django_capture_on_commit_callbacks(execute=True):
        quarantine_delete(row, agent=agent)

    assert not InboundEmail.objects.exists()
    assert stored_names() == []


def test_a_storage_that_refuses_the_file_is_a_temporary_failure_and_stores_no_row(settings, tmp_path):
    # A media folder that cannot be created (a file has its name): the mail server is told to try again later.
    blocked = tmp_path / "media-blocked"
    blocked.write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = str(blocked)

    with pytest.raises(TemporaryFailure, match="could not be written to storage"):
        ingest(raw_message(message_id="<later@example.net>"), source="test")

    assert not InboundEmail.objects.exists()
