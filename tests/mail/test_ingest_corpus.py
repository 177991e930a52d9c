"""Every message of the public corpus is ingested without crashing and without losing a byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.db.models import Count

from comptoir.gateway.inbound import dedup_key, ingest
from comptoir.mail.models import InboundEmail, InboundStatus
from comptoir.tickets.models import Message
from tests.corpus import CORPUS, corpus_files, corpus_params

# Without the corpus these tests are skipped (tests/conftest.py); FILES is then empty.
pytestmark = pytest.mark.corpus

FILES: list[Path] = corpus_files()


@pytest.mark.parametrize("path", corpus_params(FILES))
def test_it_ingests_the_corpus_message(db, path):
    raw = path.read_bytes()

    row = ingest(raw, source="test")

    stored = InboundEmail.objects.select_related("ticket").get(pk=row.pk)
    assert bytes(stored.raw) == raw
    assert stored.status in (InboundStatus.PROCESSED, InboundStatus.QUARANTINED)
    if stored.status == InboundStatus.PROCESSED:
        assert stored.ticket is not None
        assert stored.ticket.messages.exists()
    else:
        assert stored.quarantine_reason


def test_the_whole_corpus_goes_through_and_every_message_is_accounted_for(db, capsys):
    """One pass over every file: stored byte for byte with its hash, then a ticket message or a quarantined item."""
    assert FILES, f"no messages under {CORPUS}"
    for path in FILES:
        ingest(path.read_bytes(), source="test")

    rows = list(InboundEmail.objects.all())
    digests = {hashlib.sha256(path.read_bytes()).hexdigest() for path in FILES}
    # Byte-identical files are one message, and files that share a Message-ID and
    # what their author wrote are one delivery: nothing else may be missing.
    assert {row.sha256 for row in rows} <= digests
    for row in rows:
        assert hashlib.sha256(bytes(row.raw)).hexdigest() == row.sha256
    processed = [row for row in rows if row.status == InboundStatus.PROCESSED]
    quarantined = [row for row in rows if row.status == InboundStatus.QUARANTINED]
    assert len(processed) + len(quarantined) == len(rows)
    # Each processed message is on a ticket (beside it, maybe, a note naming people not copied).
    written = Message.objects.filter(inbound_email__in=processed)
    assert written.values("inbound_email").distinct().count() == len(processed)
    assert not written.filter(is_public=True).values("inbound_email").annotate(n=Count("pk")).filter(n__gt=1)
    assert all(row.quarantine_reason for row in quarantined)
    raws = [path.read_bytes() for path in FILES]
    distinct_keys = {dedup_key(raw) for raw in raws}
    assert len(rows) == len(distinct_keys)
    tickets = len({row.ticket_id for row in processed})
    with capsys.disabled():
        print(
            f"\ncorpus: {len(FILES)} files, {len(rows)} distinct messages, "
            f"{len(processed)} ticket messages on {tickets} tickets, {len(quarantined)} quarantined"
        )
