"""The raw file and its folder are flushed to the disk every time; the folders above it when they changed."""

from __future__ import annotations

import os
import shutil
import time

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
    monkeypatch.setattr(raw_store, "_flushed_folders", {})
    return paths


def chain(name: str) -> tuple[str, list[str]]:
    """The file's path and its folders from its own up to the storage's root (MEDIA_ROOT)."""
    path = os.path.realpath(raw_storage().path(name))
    folders = [os.path.dirname(path)]
    while os.path.basename(folders[-1]) != "inbound":
        folders.append(os.path.dirname(folders[-1]))
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


def a_new_tick() -> None:
    # A folder's modification time moves with the kernel's clock tick (a few milliseconds): a change
    # made in the very tick of the last flush would not show, and the change this test makes must.
    time.sleep(0.05)


def test_the_folders_above_the_file_s_own_are_flushed_only_when_they_changed(flushed):
    first, second, first_flushed, second_flushed = two_saves_in_one_hour(flushed)

    path, folders = chain(first)
    # The file, its hour, day, month and year folders, inbound/ and the root: every entry a power cut could lose.
    assert first_flushed == [path, *folders] and len(folders) == 6
    # The second file is new in the hour's folder, which is flushed again; the day's folder has no new
    # entry since its flush (looked at, not flushed), so neither have those above it.
    second_path, second_folders = chain(second)
    assert second_flushed == [second_path, second_folders[0]]


def test_a_folder_removed_and_made_again_has_its_chain_flushed_again(flushed):
    first, _, _, _ = two_saves_in_one_hour(flushed)
    # Say an administrator moved the day's mail away: the process's memory of those folders is stale.
    a_new_tick()
    shutil.rmtree(os.path.dirname(os.path.dirname(raw_storage().path(first))))
    flushed.clear()

    again, _ = raw_save(raw_message(message_id="<three@example.net>"))

    path, folders = chain(again)
    if again.rsplit("/", 2)[0] == first.rsplit("/", 2)[0]:
        # The file, the new hour and day folders, and the month's, which holds the new day's entry; the
        # month's own entry above is unchanged.
        assert flushed == [path, *folders[:3]]
    else:
        # A new day began meanwhile: its folders are new anyway, and flushed as such.
        assert flushed[:2] == [path, folders[0]] and len(flushed) >= 3


def test_an_hour_folder_made_by_another_process_gets_its_entry_flushed(flushed):
    first, _, _, _ = two_saves_in_one_hour(flushed)
    hour = os.path.dirname(raw_storage().path(first))
    # Another process replaces the hour's folder (same path, likely the same inode number again): the
    # day's folder changed, and this process flushes it rather than trust the path it remembers.
    a_new_tick()
    shutil.rmtree(hour)
    os.makedirs(hour)
    flushed.clear()

    again, _ = raw_save(raw_message(message_id="<four@example.net>"))

    path, folders = chain(again)
    if again.rsplit("/", 1)[0] == first.rsplit("/", 1)[0]:
        assert flushed == [path, folders[0], folders[1]]
    else:
        assert flushed[:2] == [path, folders[0]] and len(flushed) >= 3


def test_a_chain_left_half_flushed_is_flushed_again_by_the_next_save(flushed, monkeypatch):
    recorded = os.fsync
    calls = 0

    def fails_on_the_fourth(descriptor: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise OSError(5, "Input/output error")
        recorded(descriptor)

    monkeypatch.setattr(os, "fsync", fails_on_the_fourth)
    with pytest.raises(OSError, match="Input/output error"):
        raw_save(raw_message(message_id="<five@example.net>"))
    # The file, its hour's folder and the day's (the hour's entry) were flushed, the month's (the day's entry)
    # was not: nothing is remembered, not even the day's folder, whose own entry above may not be on the disk.
    assert raw_store._flushed_folders == {}
    monkeypatch.setattr(os, "fsync", recorded)
    flushed.clear()

    name, _ = raw_save(raw_message(message_id="<six@example.net>"))

    path, folders = chain(name)
    assert flushed == [path, *folders]
