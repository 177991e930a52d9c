from __future__ import annotations

from celery import shared_task

from comptoir.gateway.imap import fetch_all
from comptoir.gateway.inbound import ingest_stuck


@shared_task
def fetch_mail() -> int:
    """The beat job: poll every IMAP mailbox; a mailbox's errors are recorded on it, not raised."""
    return sum(result.ingested for result in fetch_all())


@shared_task
def ingest_stuck_email() -> int:
    """Messages stored while the database or a worker failed: they are never left behind."""
    return ingest_stuck()
