from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from comptoir.gateway.inbound import TemporaryFailure, ingest

# sysexits.h: tells the mail server to keep the message and try again later.
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Read one raw RFC 5322 message on standard input and ingest it (for an MTA pipe)."

    def handle(self, *args: Any, **options: Any) -> None:
        raw = sys.stdin.buffer.read()
        try:
            row = ingest(raw, source="stdin")
        except TemporaryFailure as error:
            self.stderr.write(f"Temporary failure, the message should be retried: {error}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"Stored inbound e-mail {row.pk} ({row.status}).")
