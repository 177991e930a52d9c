"""What the e-mail channel refuses to take whole: messages over the size limit, files over the count limit.

Messages are generated here, just over the limits, and go through ingest(),
the ingest_email command as the mail server runs it, and a real Dovecot.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import transaction

from comptoir.gateway import inbound
from comptoir.gateway.imap import fetch_mailbox
from comptoir.gateway.inbound import ingest
from comptoir.gateway.raw import header_block
from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, QuarantineKind
from comptoir.tickets.models import Attachment, Ticket
from tests.conftest import ROOT, png_bytes
from tests.mail.imap_server import running_dovecot
from tests.mail.test_imap import make_mailbox
from tests.mail.test_ingest import command_env, raw_message, with_attachments

pytestmark = pytest.mark.django_db

LIMIT = 64 * 1024
BODY_MARK = b"the-body-nobody-should-read"


def message_of_size(size: int, *, message_id: str = "<big@mail.example.net>") -> bytes:
    """A plain message of exactly ``size`` bytes: headers, then 80-character lines of text."""
    head = raw_message(subject="Screen recording", body=b"", message_id=message_id)
    lines = BODY_MARK + b"\r\n" + b"".join(b"%077d\r\n" % n for n in range(size // 79 + 1))
    raw = head + lines[: size - len(head)]
    assert len(raw) == size
    return raw


# --- The size limit --------------------------------------------------------------------------------


def test_a_message_one_byte_over_the_limit_is_kept_as_its_header_only_and_quarantined(settings):
    settings.COMPTOIR_INBOUND_MAX_BYTES = LIMIT
    raw = message_of_size(LIMIT + 1)

    row = ingest(raw, source="test")

    stored = InboundEmail.objects.get(pk=row.pk)
    assert (stored.status, stored.quarantine_kind) == (InboundStatus.QUARANTINED, QuarantineKind.TOO_LARGE)
    assert bytes(stored.raw) == header_block(raw)
    assert BODY_MARK not in bytes(stored.raw)
    assert stored.sha256 == hashlib.sha256(header_block(raw)).hexdigest()
    # That it arrived, how large it was, from whom and about what are kept.
    assert stored.size == LIMIT + 1
    assert (stored.from_address, stored.subject, stored.message_id) == (
        "bob@example.net",
        "Screen recording",
        "big@mail.example.net",
    )
    assert str(LIMIT) in stored.quarantine_reason
    assert "COMPTOIR_INBOUND_MAX_MB" in stored.quarantine_reason
    assert stored.processed_at is not None
    # Nobody is answered, nothing is opened.
    assert not Ticket.objects.exists()
    assert not OutboundEmail.objects.exists()
    # Delivered again: the same row.
    assert ingest(raw, source="imap:support").pk == row.pk
    assert InboundEmail.objects.count() == 1


@pytest.mark.parametrize("action", ["accept", "new_ticket"])
def test_an_agent_cannot_make_a_ticket_of_the_header_a_too_large_message_left(settings, agent, make_ticket, action):
    settings.COMPTOIR_INBOUND_MAX_BYTES = LIMIT
    ticket = make_ticket(email="bob@example.net")
    row = ingest(message_of_size(LIMIT + 1), source="test")
    InboundEmail.objects.filter(pk=row.pk).update(candidate_ticket=ticket)
    row.refresh_from_db()

    act = inbound.quarantine_accept if action == "accept" else inbound.quarantine_new_ticket
    with pytest.raises(inbound.NotQuarantined):
        act(row, agent=agent)

    assert InboundEmail.objects.get(pk=row.pk).status == InboundStatus.QUARANTINED
    assert Ticket.objects.count() == 1
    assert ticket.messages.count() == 1


def test_a_message_exactly_at_the_limit_is_read_as_usual(settings):
    settings.COMPTOIR_INBOUND_MAX_BYTES = LIMIT
    raw = message_of_size(LIMIT)

    row = ingest(raw, source="test")

    assert row.status == InboundStatus.PROCESSED
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == raw
    assert BODY_MARK.decode() in row.ticket.messages.get().body


def test_a_channel_that_read_only_the_start_passes_the_whole_size(settings):
    settings.COMPTOIR_INBOUND_MAX_BYTES = LIMIT
    raw = message_of_size(3 * LIMIT)

    row = ingest(raw[: LIMIT + 1], source="stdin", size=len(raw))

    assert row.quarantine_kind == QuarantineKind.TOO_LARGE
    assert row.size == 3 * LIMIT
    assert str(3 * LIMIT) in row.quarantine_reason


def migrated_database(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    database = tmp_path / "x.sqlite3"
    env = command_env(tmp_path, f"sqlite:///{database}")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, capture_output=True
    )
    assert migrate.returncode == 0, migrate.stderr.decode()
    return database, env


# Runs the command in a child and prints the child's peak memory (kB) and its exit status.
PEAK_MEMORY = (
    "import resource, subprocess, sys; "
    "done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, done.returncode)"
)


def run_ingest_email(env: dict[str, str], message: Path) -> tuple[int, int, str]:
    """The ingest_email command fed from a file, as a mail server pipes it: (peak memory in kB, exit status, stderr)."""
    with message.open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-c", PEAK_MEMORY, sys.executable, "manage.py", "ingest_email"],
            stdin=stdin,
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
    peak, status = result.stdout.decode().split()[-2:]
    return int(peak), int(status), result.stderr.decode()


def test_the_mta_pipe_reads_no_more_than_the_limit_and_refuses_the_rest_with_5_3_4(tmp_path):
    database, env = migrated_database(tmp_path)
    env["COMPTOIR_INBOUND_MAX_MB"] = "1"
    limit = 1024 * 1024
    small = tmp_path / "small.eml"
    small.write_bytes(message_of_size(limit, message_id="<small@mail.example.net>"))
    just_over = tmp_path / "just-over.eml"
    just_over.write_bytes(message_of_size(limit + 1, message_id="<just-over@mail.example.net>"))
    huge = tmp_path / "huge.eml"
    huge.write_bytes(message_of_size(64 * limit, message_id="<huge@mail.example.net>"))

    small_peak, small_status, _ = run_ingest_email(env, small)
    _, over_status, over_error = run_ingest_email(env, just_over)
    huge_peak, huge_status, huge_error = run_ingest_email(env, huge)

    assert small_status == 0
    # A permanent failure: the mail server reports "message too big" to the envelope sender; Comptoir sends nothing.
    assert (over_status, huge_status) == (69, 69), over_error
    assert over_error.startswith("5.3.4 ")
    assert "1 MB" in huge_error
    # 64 MB went through the pipe; the command held about one (the limit + 1 byte) at a time.
    assert huge_peak < small_peak + 24 * 1024, f"peak {huge_peak} kB against {small_peak} kB for a 1 MB message"
    # The bytes are files under the media folder, named by the rows (comptoir.mail.raw_store).
    with sqlite3.connect(database) as connection:
        rows = dict(
            (message_id, (status, kind, size, (tmp_path / "media" / raw_file).read_bytes()))
            for message_id, status, kind, size, raw_file in connection.execute(
                "SELECT message_id, status, quarantine_kind, size, raw_file FROM mail_inboundemail"
            )
        )
    assert rows["small@mail.example.net"][:2] == ("processed", "")
    for name, path in (("just-over", just_over), ("huge", huge)):
        status, kind, size, raw = rows[f"{name}@mail.example.net"]
        assert (status, kind, size) == ("quarantined", "too_large", path.stat().st_size)
        assert raw == header_block(path.read_bytes())


@pytest.mark.django_db(transaction=True)
def test_imap_downloads_no_more_than_the_limit_of_a_message_over_it_and_keeps_its_header(tmp_path, settings):
    settings.COMPTOIR_INBOUND_MAX_BYTES = LIMIT
    raw = message_of_size(5 * LIMIT)
    with running_dovecot(tmp_path / "imap") as server:
        settings.COMPTOIR_IMAP_CA_FILE = str(server.cafile)
        server.append(raw)
        mailbox = make_mailbox(server)
        assert not transaction.get_connection().in_atomic_block

        result = fetch_mailbox(mailbox)

        assert (result.fetched, result.ingested, result.error) == (1, 1, "")
        # Dovecot logs what it sent to our client when the session ends.
        sent = None
        for _ in range(100):
            found = re.findall(r"Logged out in=\d+ out=(\d+)", server.log())
            if found:
                sent = int(found[-1])
                break
            time.sleep(0.05)
        assert sent is not None, server.log()
        # The limit + 1 byte of the message, and a few kilobytes of conversation.
        assert sent < LIMIT + 8192, f"the server sent {sent} bytes of a {len(raw)}-byte message, limit {LIMIT}"
    row = InboundEmail.objects.get()
    assert (row.status, row.quarantine_kind, row.size) == (
        InboundStatus.QUARANTINED,
        QuarantineKind.TOO_LARGE,
        len(raw),
    )
    assert bytes(row.raw) == header_block(raw)


# --- The number of files ------------------------------------------------------------------------------


def test_an_email_keeps_at_most_the_file_limit_and_names_the_files_it_left_out(settings):
    settings.COMPTOIR_ATTACHMENT_MAX_FILES = 3
    files = [(f"shot-{n}.png", "image/png", png_bytes()) for n in range(1, 6)]
    # A refused file takes no place among the kept.
    files.insert(1, ("setup.exe", "application/octet-stream", b"MZ" + b"\0" * 100))

    row = ingest(with_attachments(files), source="test")

    assert row.status == InboundStatus.PROCESSED
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["shot-1.png", "shot-2.png", "shot-3.png"]
    body = row.ticket.messages.get().body
    assert "setup.exe" in body
    note = body.split("[Files not kept", 1)[1]
    assert "over the limit of 3 files per message" in note
    assert "“shot-4.png”, “shot-5.png”" in note
    assert "shot-3.png" not in note
