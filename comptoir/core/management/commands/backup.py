"""Back up this installation into a new folder: database, stored files, manifest (docs/deploy.md, "Backups").

    manage.py backup /var/backups/comptoir/2026-12-05T0300

Safe while Comptoir serves: the copy is of one consistent state (comptoir.core.backup).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.core.backup import BackupError, backup_create, remove_partial


class Command(BaseCommand):
    help = "Write a consistent backup (database, attachments, manifest of SHA-256 hashes) into a new folder."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, help="A folder that does not exist yet, or is empty.")

    def handle(self, *args: Any, **options: Any) -> None:
        directory: Path = options["directory"].resolve()
        new = not directory.exists()
        try:
            manifest = backup_create(directory)
        except BackupError as error:
            # A folder this command made holds only a half-written backup: it goes.
            if new:
                remove_partial(directory)
            raise CommandError(str(error)) from None
        counts = ", ".join(f"{count} {name}" for name, count in manifest.counts.items())
        size = sum(stored.size for stored in manifest.files)
        self.stdout.write(f"Database ({manifest.vendor}): {counts}.")
        self.stdout.write(f"Files: {len(manifest.files)} ({size} bytes).")
        for name in manifest.missing:
            self.stderr.write(f"Named by the database but missing from storage: {name}")
        self.stdout.write(self.style.SUCCESS(f"Backup written to {directory}"))
