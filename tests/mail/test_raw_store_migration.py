"""mail 0017 moves the bytes of e-mails stored in the rows into files, and back when unapplied."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from comptoir.mail.raw_store import raw_read, raw_storage

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("mail", "0015_webhook_disabled_email")]
AFTER = [("mail", "0017_move_raw_email_to_storage")]


def migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema():
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def message(n: int) -> bytes:
    return f"From: p{n}@example.org\r\nSubject: n{n}\r\nMessage-ID: <{n}@example.org>\r\n\r\nBody {n}\r\n".encode()


def test_it_moves_every_row_s_bytes_into_storage_idempotently_and_back(old_schema):
    OldInbound = old_schema.get_model("mail", "InboundEmail")
    raws = [message(n) for n in range(250)]  # more than one batch of 100
    for n, raw in enumerate(raws):
        OldInbound.objects.create(
            dedup_key=f"mid:{n}", sha256=hashlib.sha256(raw).hexdigest(), raw=raw, size=len(raw), source="test"
        )
    # An address erased from the bytes (comptoir.portal.erasure) left the old hash: the file is named by the bytes.
    erased = raws[7].replace(b"p7@example.org", b"erased@invalid")
    OldInbound.objects.filter(dedup_key="mid:7").update(raw=erased)

    migrate(AFTER)
    migrate(AFTER)  # nothing left to move: a second run changes nothing

    from comptoir.mail.models import InboundEmail

    rows = {row.dedup_key: row for row in InboundEmail.objects.all()}
    assert len(rows) == 250
    assert all(row.legacy_raw is None and row.raw_file.name.startswith("inbound/") for row in rows.values())
    assert raw_read(rows["mid:0"]) == raws[0]
    assert raw_read(rows["mid:249"]) == raws[249]
    assert raw_read(rows["mid:7"]) == erased
    assert rows["mid:7"].sha256 == hashlib.sha256(erased).hexdigest()

    apps = migrate(BEFORE)

    back = {row.dedup_key: bytes(row.raw) for row in apps.get_model("mail", "InboundEmail").objects.all()}
    assert back["mid:0"] == raws[0]
    assert back["mid:7"] == erased
    assert len(back) == 250
    # The files stay until the purge of orphans: a rollback never deletes the only copy.
    assert raw_storage().exists(rows["mid:0"].raw_file.name)
