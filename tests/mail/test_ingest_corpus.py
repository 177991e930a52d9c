"""Every message of the public corpus is ingested without crashing and without losing a byte."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir.mail.inbound import ingest
from comptoir.mail.models import InboundEmail, InboundStatus
from tests.conftest import CORPUS

NOT_MESSAGES = ("LICENSE", "MIT-LICENSE", "README")


def corpus_files() -> list[Path]:
    files = sorted(path for path in CORPUS.rglob("*") if path.is_file() and not path.name.startswith(NOT_MESSAGES))
    assert files, f"no messages under {CORPUS}"
    return files


FILES = corpus_files()


@pytest.mark.parametrize("path", FILES, ids=[str(path.relative_to(CORPUS)) for path in FILES])
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
