"""A consistent copy of an installation, and its return into an empty one (docs/deploy.md, "Backups").

A backup is a folder: the database (PostgreSQL's custom-format dump, or a copy
of the SQLite file), every stored file a row names (attachments, API uploads)
under files/, and manifest.json, written last, with each file's size and
SHA-256 and a count of tickets, messages, attachments and e-mails. Raw inbound
e-mail is a stored file too (a FileField, comptoir.mail.raw_store), so it is
listed and copied like the attachments.

The files listed are those named by the database *as dumped*: SQLite's backup
API copies one committed state and the names are read from that copy;
PostgreSQL's dump runs on a snapshot exported by the transaction that reads the
names. Files are never rewritten in place (each has a random name), so a
ticket created while the backup runs is either wholly in it or not at all.

Only the database's own layer is used here: the tables come from the models'
metadata (the app registry), never from importing a domain app.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.apps import apps
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import connections, models, transaction
from django.utils import timezone

MANIFEST = "manifest.json"
FORMAT = 1
FILES = "files"
# What the manifest counts, and what a restored installation must count again.
COUNTED = {
    "tickets": "tickets.Ticket",
    "messages": "tickets.Message",
    "attachments": "tickets.Attachment",
    "inbound_emails": "mail.InboundEmail",
    "users": "accounts.User",
}
# An installation holding any of these is not empty: restore refuses to replace it.
_OCCUPIED_BY = ("tickets", "inbound_emails", "users")
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """Something that makes a backup or a restore stop; its message says what, for an operator."""


@dataclass(frozen=True)
class StoredFile:
    name: str  # the name in storage, as the rows hold it
    size: int
    sha256: str


@dataclass
class Manifest:
    vendor: str
    database_file: str
    database_sha256: str
    counts: dict[str, int]
    files: list[StoredFile]
    missing: list[str] = field(default_factory=list)
    created_at: str = ""

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "created_at": self.created_at,
                "database": {"vendor": self.vendor, "file": self.database_file, "sha256": self.database_sha256},
                "counts": self.counts,
                "files": [{"name": f.name, "size": f.size, "sha256": f.sha256} for f in self.files],
                "missing_files": self.missing,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        try:
            data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BackupError(f"{directory} holds no {MANIFEST}: not a backup, or one that did not finish.") from None
        except ValueError as error:
            raise BackupError(f"{directory / MANIFEST} is not valid JSON: {error}") from None
        if data.get("format") != FORMAT:
            raise BackupError(f"{directory / MANIFEST} has format {data.get('format')!r}; this version reads {FORMAT}.")
        database = data["database"]
        return cls(
            vendor=database["vendor"],
            database_file=database["file"],
            database_sha256=database["sha256"],
            counts={name: int(count) for name, count in data["counts"].items()},
            files=[StoredFile(f["name"], int(f["size"]), f["sha256"]) for f in data["files"]],
            missing=list(data.get("missing_files", [])),
            created_at=data.get("created_at", ""),
        )


def _hash_copy(source: IO[bytes], target: IO[bytes] | None = None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return size, digest.hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as source:
        return _hash_copy(source)[1]


def _inside(directory: Path, name: str) -> Path:
    """Where a stored file goes in the backup: never outside it, whatever a row says."""
    parts = PurePosixPath(name).parts
    if not parts or name.startswith("/") or ".." in parts:
        raise BackupError(f"Refusing a stored file name that leaves its folder: {name!r}")
    return directory / FILES / Path(*parts)


def _file_columns() -> list[tuple[str, str]]:
    """(table, column) of every FileField of every installed model."""
    return [
        (model._meta.db_table, model_field.column)
        for model in apps.get_models()
        for model_field in model._meta.concrete_fields
        if isinstance(model_field, models.FileField)
    ]


def _table(label: str) -> str:
    return str(apps.get_model(label)._meta.db_table)


def _read_state(execute: Any, quote: Any, tables: Iterable[str]) -> tuple[dict[str, int], list[str]]:
    """The counts and the stored file names, through ``execute(sql) -> rows`` on one consistent state."""
    present = set(tables)
    # Table and column names come from the models' metadata, quoted: never from outside.
    counts = {
        name: int(execute(f"SELECT COUNT(*) FROM {quote(_table(label))}")[0][0])  # noqa: S608
        if _table(label) in present
        else 0
        for name, label in COUNTED.items()
    }
    names: set[str] = set()
    for table, column in _file_columns():
        if table in present:
            rows = execute(f"SELECT {quote(column)} FROM {quote(table)} WHERE {quote(column)} <> ''")  # noqa: S608
            names.update(str(row[0]) for row in rows)
    return counts, sorted(names)


# --- Backup ---------------------------------------------------------------------------------------------------


def _dump_sqlite(target: Path) -> tuple[dict[str, int], list[str]]:
    connection = connections["default"]
    connection.ensure_connection()
    with sqlite3.connect(target) as copy:
        connection.connection.backup(copy)
        # One self-contained file: no -wal beside it (Django turns WAL on again once restored).
        copy.execute("PRAGMA journal_mode=DELETE")
        tables = [row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        state = _read_state(lambda sql: copy.execute(sql).fetchall(), connection.ops.quote_name, tables)
    copy.close()
    return state


def _pg_arguments(settings_dict: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """pg_dump's and pg_restore's connection options, from the settings' connection; the password in the environment."""
    arguments = []
    if settings_dict.get("HOST"):
        arguments += ["--host", str(settings_dict["HOST"])]
    if settings_dict.get("PORT"):
        arguments += ["--port", str(settings_dict["PORT"])]
    if settings_dict.get("USER"):
        arguments += ["--username", str(settings_dict["USER"])]
    arguments += ["--dbname", str(settings_dict["NAME"]), "--no-password"]
    environment = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        environment["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    return arguments, environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client programs).") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}")


def _dump_postgresql(target: Path) -> tuple[dict[str, int], list[str]]:
    connection = connections["default"]
    arguments, environment = _pg_arguments(connection.settings_dict)
    with transaction.atomic(), connection.cursor() as cursor:
        # The dump and the names below see one state: this transaction's snapshot, lent to pg_dump.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]

        def execute(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql)
            return list(cursor.fetchall())

        state = _read_state(execute, connection.ops.quote_name, connection.introspection.table_names(cursor))
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", "--file", str(target), *arguments], environment)
    return state


def _copy_files(storage: Storage, names: list[str], directory: Path) -> tuple[list[StoredFile], list[str]]:
    copied, missing = [], []
    for name in names:
        target = _inside(directory, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with storage.open(name, "rb") as source, target.open("wb") as output:
                size, digest = _hash_copy(source, output)
        except FileNotFoundError:
            # A row without its file (a disk restored apart, a file deleted by hand): said, not hidden.
            target.unlink(missing_ok=True)
            missing.append(name)
            continue
        copied.append(StoredFile(name, size, digest))
    return copied, missing


def backup_create(directory: Path, *, storage: Storage = default_storage) -> Manifest:
    """Write a backup into ``directory``, which must not exist or be empty."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: a backup goes into a new folder.")
    directory.mkdir(parents=True, exist_ok=True)
    vendor = connections["default"].vendor
    if vendor == "sqlite":
        database_file = "database.sqlite3"
        counts, names = _dump_sqlite(directory / database_file)
    elif vendor == "postgresql":
        database_file = "database.pgdump"
        counts, names = _dump_postgresql(directory / database_file)
    else:
        raise BackupError(f"Backups of a {vendor} database are not supported.")
    files, missing = _copy_files(storage, names, directory)
    manifest = Manifest(
        vendor=vendor,
        database_file=database_file,
        database_sha256=file_sha256(directory / database_file),
        counts=counts,
        files=files,
        missing=missing,
        created_at=timezone.now().isoformat(),
    )
    # Written last, and whole or not at all: a folder with a manifest is a finished backup.
    partial = directory / f"{MANIFEST}.partial"
    partial.write_text(manifest.to_json(), encoding="utf-8")
    partial.replace(directory / MANIFEST)
    return manifest


# --- Restore --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoreSummary:
    counts: dict[str, int]
    files: int
    bytes: int


def backup_verify(directory: Path, manifest: Manifest) -> None:
    """Every file of the backup as the manifest says it was written, or a BackupError naming the ones that are not."""
    problems = []
    database = directory / manifest.database_file
    if not database.is_file():
        problems.append(f"{manifest.database_file}: missing")
    elif file_sha256(database) != manifest.database_sha256:
        problems.append(f"{manifest.database_file}: SHA-256 differs from the manifest")
    for stored in manifest.files:
        path = _inside(directory, stored.name)
        if not path.is_file():
            problems.append(f"{FILES}/{stored.name}: missing")
            continue
        with path.open("rb") as source:
            size, digest = _hash_copy(source)
        if (size, digest) != (stored.size, stored.sha256):
            problems.append(f"{FILES}/{stored.name}: SHA-256 differs from the manifest")
    if problems:
        raise BackupError("The backup is damaged; nothing was restored.\n" + "\n".join(problems))


def _current_counts() -> dict[str, int]:
    connection = connections["default"]
    with connection.cursor() as cursor:

        def execute(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql)
            return list(cursor.fetchall())

        return _read_state(execute, connection.ops.quote_name, connection.introspection.table_names(cursor))[0]


def _refuse_unless_empty(manifest: Manifest, storage: Storage) -> None:
    counts = _current_counts()
    occupied = {name: counts[name] for name in _OCCUPIED_BY if counts[name]}
    if occupied:
        held = ", ".join(f"{count} {name}" for name, count in occupied.items())
        raise BackupError(f"This installation is not empty ({held}): restore only into a new, empty one.")
    taken = [stored.name for stored in manifest.files if storage.exists(stored.name)]
    if taken:
        raise BackupError(f"The storage already holds files of this backup ({taken[0]}, ...): use an empty one.")


def _restore_sqlite(source: Path) -> None:
    connection = connections["default"]
    # Django's own backend opens the database, creating its folder (comptoir.core.sqlite3); then it steps aside.
    connection.ensure_connection()
    target = connection.connection
    with sqlite3.connect(source) as dump:
        dump.backup(target)
    dump.close()
    connection.close()


def _restore_postgresql(source: Path) -> None:
    connection = connections["default"]
    arguments, environment = _pg_arguments(connection.settings_dict)
    connection.close()
    # --clean --if-exists: an empty installation may already have its (empty) tables from `migrate`.
    command = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error"]
    _run([*command, *arguments, str(source)], environment)


def backup_restore(directory: Path, *, storage: Storage = default_storage) -> RestoreSummary:
    """Bring the backup in ``directory`` into this empty installation, then check it arrived whole."""
    manifest = Manifest.read(directory)
    backup_verify(directory, manifest)
    vendor = connections["default"].vendor
    if vendor != manifest.vendor:
        raise BackupError(f"The backup is of a {manifest.vendor} database; this installation uses {vendor}.")
    _refuse_unless_empty(manifest, storage)

    if vendor == "sqlite":
        _restore_sqlite(directory / manifest.database_file)
    else:
        _restore_postgresql(directory / manifest.database_file)

    total = 0
    for stored in manifest.files:
        with _inside(directory, stored.name).open("rb") as source:
            saved = storage.save(stored.name, File(source))
        if saved != stored.name:
            raise BackupError(f"The storage saved {stored.name} as {saved}: it was not empty.")
        with storage.open(stored.name, "rb") as restored:
            size, digest = _hash_copy(restored)
        if (size, digest) != (stored.size, stored.sha256):
            raise BackupError(f"{stored.name} reads back from the storage with another SHA-256.")
        total += size

    counts = _current_counts()
    if counts != manifest.counts:
        raise BackupError(f"The restored database counts {counts}; the manifest says {manifest.counts}.")
    return RestoreSummary(counts=counts, files=len(manifest.files), bytes=total)


def remove_partial(directory: Path) -> None:
    """What a failed backup left in its new folder."""
    shutil.rmtree(directory, ignore_errors=True)
