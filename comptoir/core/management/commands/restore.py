"""Restore a backup made by `manage.py backup` into a new, empty installation (docs/deploy.md, "Backups").

    DATABASE_URL=... manage.py restore /var/backups/comptoir/2026-12-05T0300

Every file of the backup is checked against its manifest before anything is
written; the database and the files are checked again once restored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.core.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup into an empty installation and verify every hash of its manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="A folder written by `manage.py backup`.")

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"].resolve()
        try:
            summary = backup_restore(directory)
        except BackupError as error:
            raise CommandError(str(error)) from None
        counts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
        self.stdout.write(f"Database: {counts}.")
        self.stdout.write(f"Files: {summary.files} ({summary.bytes} bytes), every SHA-256 as in the manifest.")
        self.stdout.write(self.style.SUCCESS(f"Restored from {directory}"))
