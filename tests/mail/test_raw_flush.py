"""The raw file's folders are flushed to the disk once per process, the file and its own folder every time."""

from __future__ import annotations

import os
import shutil

import pytest

from comptoir.mail import raw_store
from comptoir.mail.raw_store import raw_save, raw_storage
from tests.mail.test_ingest import raw_message


@pytest.fixture
def flushed(monkeypatch) -> list[str]:
    """The paths os.fsync is called on, in order (the real fsync still runs)."""
    paths: list[str] = []
    fsync = os.fsync

    def recorded(descriptor: int) -> None:
        paths.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recorded)
    # What an earlier test's process memory says of its own (now removed) MEDIA_ROOT is not this test's.
    raw_store._durable_folders.clear()
    return paths


def chain(name: str) -> tuple[str, list[str]]:
    """The file's path and its folders from its own up to inbound/."""
    path = os.path.realpath(raw_storage().path(name))
    folders = [os.path.dirname(path)]
    while os.path.basename(folders[-1]) != "inbound":
        folders.append(os.path.dirname(folders[-1]))
    return path, folders


def two_saves_in_one_hour(flushed: list[str]) -> tuple[str, str, list[str], list[str]]:
    """Two files saved in the same hour folder, and what each save flushed (tried again across an hour's end)."""
    for _ in range(2):
        flushed.clear()
        first, _ = raw_save(raw_message(message_id="<one@example.net>"))
        first_flushed = list(flushed)
        flushed.clear()
        second, _ = raw_save(raw_message(message_id="<two@example.net>"))
        if first.rsplit("/", 1)[0] == second.rsplit("/", 1)[0]:
            return first, second, first_flushed, list(flushed)
    raise AssertionError("two saves a moment apart fell in different hours twice")


def test_it_flushes_the_folders_above_the_file_s_own_only_the_first_time_this_process_writes_there(flushed):
    first, second, first_flushed, second_flushed = two_saves_in_one_hour(flushed)

    path, folders = chain(first)
    # The file, its hour, day, month and year folders, and inbound/: every entry a power cut could lose.
    assert first_flushed == [path, *folders] and len(folders) == 5
    # The second file is new in the hour's folder, which is flushed again; the folders above had
    # nothing new and their entries are on the disk already.
    second_path, second_folders = chain(second)
    assert second_flushed == [second_path, second_folders[0]]


def test_a_folder_removed_and_created_again_has_its_whole_chain_flushed_again(flushed):
    first, _, _, _ = two_saves_in_one_hour(flushed)
    # Say an administrator moved the day's mail away: the process's memory of those folders is stale.
    shutil.rmtree(os.path.dirname(os.path.dirname(raw_storage().path(first))))
    flushed.clear()

    again, _ = raw_save(raw_message(message_id="<three@example.net>"))

    path, folders = chain(again)
    if again.rsplit("/", 2)[0] == first.rsplit("/", 2)[0]:
        assert flushed == [path, *folders]
    else:
        # A new day began meanwhile: its folders are new anyway, and flushed as such.
        assert flushed[:2] == [path, folders[0]] and len(flushed) >= 3
