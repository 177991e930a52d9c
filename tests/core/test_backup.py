"""`manage.py backup` and `restore`: a copy of tickets and files that comes back whole, or says it cannot.

The backup runs in this process on the test database (SQLite, or PostgreSQL with
DATABASE_URL); the restore runs as an operator would, in a child process pointed
at a new, empty database and media folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from comptoir.gateway.inbound import ingest
from comptoir.tickets.models import Attachment, Message, Ticket
from comptoir.tickets.services import ticket_create
from tests.conftest import ROOT, png_attachment

pytestmark = pytest.mark.django_db(transaction=True)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def help_desk(make_ticket) -> list[Ticket]:
    """Two tickets, three files, through the services as the web form makes them."""
    first = make_ticket(files=[png_attachment("screen.png"), png_attachment("second.png")])
    second = make_ticket(email="bob@example.org", subject="Login loop", files=[png_attachment("login.png")])
    return [first, second]


def restore_in_child(backup: Path, *, database_url: str, var_dir: Path) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "COMPTOIR_VAR_DIR": str(var_dir),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "restore", str(backup)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_it_writes_the_database_every_file_and_a_manifest_of_their_hashes(help_desk, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"] == {
        "tickets": 2,
        "messages": Message.objects.count(),
        "attachments": 3,
        "inbound_emails": 0,
        "users": 2,
    }
    # Each file in the backup is the attachment's own bytes: the hash the ticket service took on upload.
    expected = {a.file.name: (a.size, a.sha256) for a in Attachment.objects.all()}
    assert {f["name"]: (f["size"], f["sha256"]) for f in manifest["files"]} == expected
    for name, (_, digest) in expected.items():
        assert sha256(backup / "files" / name) == digest
    database = backup / manifest["database"]["file"]
    assert manifest["database"]["sha256"] == sha256(database)
    assert manifest["missing_files"] == []


def test_it_refuses_a_folder_that_is_not_empty(help_desk, tmp_path):
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(CommandError, match="is not empty"):
        call_command("backup", str(folder))
    assert [path.name for path in folder.iterdir()] == ["notes.txt"]


def test_restore_refuses_an_installation_that_has_tickets(help_desk, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    with pytest.raises(CommandError, match=r"not empty \(2 tickets, 2 users\)"):
        call_command("restore", str(backup))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backup API; PostgreSQL below")
def test_it_restores_into_a_new_sqlite_installation_whose_tickets_and_files_match(help_desk, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    fresh = tmp_path / "fresh"
    database = fresh / "restored.sqlite3"

    result = restore_in_child(backup, database_url=f"sqlite:///{database}", var_dir=fresh)

    assert result.returncode == 0, result.stderr
    assert "Database: 2 tickets, " in result.stdout
    assert "Files: 3 (" in result.stdout
    with sqlite3.connect(database) as restored:
        subjects = sorted(row[0] for row in restored.execute("SELECT subject FROM tickets_ticket"))
        names = {row[0] for row in restored.execute("SELECT file FROM tickets_attachment")}
    assert subjects == ["Export fails", "Login loop"]
    assert names == {f["name"] for f in manifest["files"]}
    for stored in manifest["files"]:
        assert sha256(fresh / "media" / stored["name"]) == stored["sha256"]


def test_a_backup_taken_while_tickets_are_created_restores_to_what_its_manifest_says(help_desk, tmp_path):
    stop, started = threading.Event(), threading.Event()
    created: list[int] = []

    def create_tickets() -> None:
        try:
            while not stop.is_set():
                ticket = ticket_create(
                    email=f"busy{len(created)}@example.org",
                    name="Busy",
                    subject="During the backup",
                    description="Created while the backup runs.",
                    language="en",
                    files=[png_attachment("busy.png")],
                )
                created.append(ticket.pk)
                if len(created) == 2:
                    started.set()
        finally:
            connections.close_all()

    writer = threading.Thread(target=create_tickets)
    writer.start()
    try:
        assert started.wait(timeout=60), "no ticket could be created"
        backup = tmp_path / "backup"
        call_command("backup", str(backup))
    finally:
        stop.set()
        writer.join(timeout=60)
    manifest = json.loads((backup / "manifest.json").read_text())
    # Some tickets landed before the copy, some after: the manifest names the former, files and all.
    assert 2 + 2 <= manifest["counts"]["tickets"] <= 2 + len(created)
    assert manifest["counts"]["attachments"] == len(manifest["files"]) == manifest["counts"]["tickets"] + 1
    assert manifest["missing_files"] == []
    if connection.vendor == "sqlite":  # a PostgreSQL backup's restore is tested below
        fresh = tmp_path / "fresh"
        # restore counts the rows again and reads back every file's hash: it fails on any difference.
        result = restore_in_child(backup, database_url=f"sqlite:///{fresh / 'restored.sqlite3'}", var_dir=fresh)
        assert result.returncode == 0, result.stderr
        assert f"Database: {manifest['counts']['tickets']} tickets, " in result.stdout


def test_restore_finds_a_corrupted_file_and_restores_nothing(help_desk, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    damaged = Attachment.objects.order_by("id").first().file.name
    path = backup / "files" / damaged
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    fresh = tmp_path / "fresh"

    result = restore_in_child(backup, database_url=f"sqlite:///{fresh / 'restored.sqlite3'}", var_dir=fresh)

    assert result.returncode == 1
    assert "The backup is damaged; nothing was restored." in result.stderr
    assert f"files/{damaged}: SHA-256 differs from the manifest" in result.stderr
    assert not (fresh / "restored.sqlite3").exists()
    assert not (fresh / "media").exists()


def test_restore_refuses_a_folder_without_a_manifest(tmp_path):
    with pytest.raises(CommandError, match=r"holds no manifest\.json"):
        call_command("restore", str(tmp_path))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="run with DATABASE_URL=postgres://... for PostgreSQL")
@pytest.mark.skipif(
    not (shutil.which("pg_dump") and shutil.which("pg_restore")), reason="pg_dump and pg_restore are not installed"
)
def test_it_restores_into_a_new_postgresql_database_whose_tickets_and_files_match(help_desk, tmp_path):
    import psycopg

    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["file"] == "database.pgdump"

    settings_dict = connection.settings_dict
    server = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
    )
    name = f"comptoir_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        fresh = tmp_path / "fresh"
        result = restore_in_child(backup, database_url=f"{server}/{name}", var_dir=fresh)
        assert result.returncode == 0, result.stderr
        with psycopg.connect(f"{server}/{name}") as restored:
            subjects = sorted(row[0] for row in restored.execute("SELECT subject FROM tickets_ticket"))
            names = {row[0] for row in restored.execute("SELECT file FROM tickets_attachment")}
        assert subjects == ["Export fails", "Login loop"]
        assert names == {f["name"] for f in manifest["files"]}
        for stored in manifest["files"]:
            assert sha256(fresh / "media" / stored["name"]) == stored["sha256"]
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backup API; PostgreSQL above")
def test_raw_inbound_e_mails_are_files_of_the_backup_and_come_back_with_their_hash(help_desk, tmp_path):
    raw = (
        b"From: dana@example.org\r\nTo: support@comptoir.localhost\r\nSubject: Invoice\r\n"
        b"Message-ID: <invoice@example.org>\r\n\r\nWhere is my invoice?\r\n"
    )
    row = ingest(raw, source="test")
    backup = tmp_path / "backup"

    call_command("backup", str(backup))

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["counts"]["inbound_emails"] == 1
    listed = {f["name"]: f["sha256"] for f in manifest["files"]}
    # The row's own hash, which names the file and which every read checks.
    assert listed[row.raw_file.name] == row.sha256 == hashlib.sha256(raw).hexdigest()
    assert (backup / "files" / row.raw_file.name).read_bytes() == raw
    fresh = tmp_path / "fresh"

    result = restore_in_child(backup, database_url=f"sqlite:///{fresh / 'restored.sqlite3'}", var_dir=fresh)

    assert result.returncode == 0, result.stderr
    assert (fresh / "media" / row.raw_file.name).read_bytes() == raw
    with sqlite3.connect(fresh / "restored.sqlite3") as restored:
        assert list(restored.execute("SELECT raw_file, sha256 FROM mail_inboundemail")) == [
            (row.raw_file.name, row.sha256)
        ]
