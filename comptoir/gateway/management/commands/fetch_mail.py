from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from comptoir.gateway.imap import FetchResult, fetch_all, fetch_mailbox
from comptoir.mail.models import Mailbox

# sysexits.h: a temporary failure, try again later (as ingest_email exits).
EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = (
        "Fetch new mail from the IMAP mailboxes set up in the admin: every enabled one that is not paused, "
        "or --mailbox NAME. Exits 1 if a mailbox failed, 75 if our side failed (retry later), else 0."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", metavar="NAME", help="poll only this mailbox")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["mailbox"]
        if name:
            mailbox = Mailbox.objects.filter(name=name).first()
            if mailbox is None:
                raise CommandError(f"No mailbox named {name!r}.")
            results = [fetch_mailbox(mailbox)]
        else:
            results = fetch_all()
            if not results:
                self.stdout.write("No mailbox to poll.")
        for result in results:
            self.stdout.write(summary(result))
        # A broken mailbox needs a person; a temporary failure of ours only needs time.
        if any(result.error and not result.temporary_failure for result in results):
            sys.exit(1)
        if any(result.temporary_failure for result in results):
            sys.exit(EX_TEMPFAIL)


def summary(result: FetchResult) -> str:
    if result.skipped:
        return f"{result.mailbox}: skipped, {result.skipped}"
    line = (
        f"{result.mailbox}: fetched {result.fetched}, ingested {result.ingested}, "
        f"duplicates {result.duplicates}, failed {result.failed}"
    )
    if result.temporary_failure:
        line += "; temporary failure, the messages left will be fetched again"
    if result.error:
        line += f"; error: {result.error}"
    return line
