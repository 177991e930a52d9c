"""`make demo-reset`: the demo back to its first state, as `make run` left it the first time, without reinstalling.

Everything this checkout stored goes: the database (every ticket, account and
setting), the attachments, the e-mails waiting in the broker. Then the tables
are made again by the migrations and the demo is loaded. Development only:
it refuses with DEBUG off, and while something still answers on the port
`make run` serves (its processes hold the database open).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from comptoir.helpcenter.management.commands.run_embedded import answers


def database_owned(name: str) -> bool:
    """Whether the database is this checkout's own: its SQLite file under VAR_DIR, or one named on purpose.

    DEBUG alone proves little (a DATABASE_URL set in the environment wins over the
    checkout's file), so a PostgreSQL database is erased only when
    COMPTOIR_DEMO_RESET_DATABASE names it.
    """
    if connection.vendor == "sqlite":
        return Path(name).resolve().is_relative_to(Path(settings.VAR_DIR).resolve())
    return os.environ.get("COMPTOIR_DEMO_RESET_DATABASE", "") == name


def database_erase() -> str:
    """Every table, trigger and function of the database goes; returns what was erased, for the message."""
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite":
        connection.close()
        # The write-ahead log and its index hold committed rows too.
        for path in (Path(name), Path(f"{name}-wal"), Path(f"{name}-shm")):
            path.unlink(missing_ok=True)
        return name
    if connection.vendor == "postgresql":
        # The migrations' own functions, triggers and text search configurations go with the tables.
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_schema()")
            (schema,) = cursor.fetchone() or ("public",)
            quoted = connection.ops.quote_name(schema)
            cursor.execute(f"DROP SCHEMA {quoted} CASCADE")
            cursor.execute(f"CREATE SCHEMA {quoted}")
        return f"{name} (schema {schema})"
    raise CommandError(f"demo-reset knows SQLite and PostgreSQL, not {connection.vendor}.")


def files_erase() -> list[Path]:
    """The attachments and the embedded broker's queued messages (they name rows that no longer exist)."""
    folders = [Path(settings.MEDIA_ROOT)]
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    folders += [
        Path(str(options[key])) for key in ("data_folder_in", "data_folder_out", "control_folder") if key in options
    ]
    erased = []
    for folder in dict.fromkeys(folders):
        if folder.is_dir():
            shutil.rmtree(folder)
            erased.append(folder)
    Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).unlink(missing_ok=True)
    return erased


class Command(BaseCommand):
    help = "Erase this checkout's database and files, migrate and load the demo again (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-input", action="store_false", dest="interactive", help="Do not ask to confirm.")

    def handle(self, *args: Any, interactive: bool = True, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("DEBUG is off: demo-reset erases the whole database, so it runs only in development.")
        name = str(connection.settings_dict["NAME"])
        if not database_owned(name):
            raise CommandError(
                f"The database {name} is not this checkout's demo database: nothing was erased. To reset a "
                f"PostgreSQL demo database, run again with COMPTOIR_DEMO_RESET_DATABASE={name} set."
            )
        if answers(settings.PORT):
            raise CommandError(
                f"Something answers on port {settings.PORT}: stop `make run` (Ctrl+C) first, then reset the demo."
            )
        if interactive:
            answer = input("Erase every ticket, account, setting and file of this checkout? Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was erased.")
        erased = database_erase()
        self.stdout.write(f"Erased the database {erased}.")
        for folder in files_erase():
            self.stdout.write(f"Erased {folder}.")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_demo", stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("The demo is back to its first state: `make run` serves it."))
