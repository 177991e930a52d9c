from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from comptoir.gateway.inbound import TemporaryFailure, ingest, was_too_large
from comptoir.gateway.raw import read_at_most
from comptoir.gateway.senders import PIPE_SOURCE

# sysexits.h: tells the mail server to keep the message and try again later.
EX_TEMPFAIL = 75
# sysexits.h: a permanent failure; the mail server returns the message to its
# envelope sender with our first output line, which starts with the RFC 3463
# code for "message too big" (Postfix's pipe(8) reports that code, Exim the text).
EX_UNAVAILABLE = 69


class Command(BaseCommand):
    help = "Read one raw RFC 5322 message on standard input and ingest it (for an MTA pipe)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Never more than the limit + 1 byte in memory: a larger message is kept as its header block.
        raw, size = read_at_most(sys.stdin.buffer, settings.COMPTOIR_INBOUND_MAX_BYTES)
        try:
            row = ingest(raw, source=PIPE_SOURCE, size=size)
        except TemporaryFailure as error:
            self.stderr.write(f"Temporary failure, the message should be retried: {error}")
            sys.exit(EX_TEMPFAIL)
        if was_too_large(row):
            # The answer is the mail server's delivery report to the envelope
            # sender, which never goes to a robot (a bounce has an empty one): we send nothing.
            limit_mb = settings.COMPTOIR_INBOUND_MAX_BYTES // (1024 * 1024)
            self.stderr.write(
                f"5.3.4 Message too big: {size} bytes, this help desk takes at most {limit_mb} MB "
                f"(stored as inbound e-mail {row.pk}, header only)."
            )
            sys.exit(EX_UNAVAILABLE)
        self.stdout.write(f"Stored inbound e-mail {row.pk} ({row.status}).")
