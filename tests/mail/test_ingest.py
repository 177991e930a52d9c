"""comptoir.gateway.inbound.ingest and the ingest_email command (the MTA pipe)."""

from __future__ import annotations

import base64
import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Sequence

import pytest
from django.db import OperationalError

from comptoir.gateway import inbound
from comptoir.gateway.inbound import TemporaryFailure, ingest
from comptoir.mail.models import InboundEmail, InboundStatus, OutboundEmail, OutboundKind
from comptoir.mail.outbound import email_deliver
from comptoir.tickets.models import Attachment, AuthorRole, Channel, Message, Status, Ticket
from comptoir.tickets.services import ticket_set_status
from tests.conftest import ROOT, png_bytes

pytestmark = pytest.mark.django_db

STRANGER = "Bob Stranger <bob@example.net>"


def raw_message(
    *,
    sender: str | None = STRANGER,
    subject: str = "Printer on fire",
    body: bytes = b"Hello,\r\nthe printer in room 4 is on fire.\r\n",
    message_id: str | None = "<first@mail.example.net>",
    headers: Sequence[str] = (),
    charset: str = "utf-8",
) -> bytes:
    """A plain-text message with CRLF line ends, as a mail server hands it over."""
    lines = [f"From: {sender}"] if sender is not None else []
    lines += ["To: support@comptoir.localhost", f"Subject: {subject}", "Date: Tue, 03 Jun 2025 10:00:00 +0200"]
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += [
        *headers,
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        "Content-Transfer-Encoding: 8bit",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


def with_attachments(files: Sequence[tuple[str, str, bytes]], *, text: str = "See the attached file.") -> bytes:
    """A multipart/mixed message: a text part, then each (filename, declared type, content) in base64."""
    boundary = "comptoir-test-boundary"
    parts = [f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n".encode()]
    for filename, content_type, content in files:
        encoded = base64.encodebytes(content).replace(b"\n", b"\r\n")
        parts.append(
            (
                f'Content-Type: {content_type}; name="{filename}"\r\n'
                f'Content-Disposition: attachment; filename="{filename}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode()
            + encoded
        )
    head = (
        f"From: {STRANGER}\r\nTo: support@comptoir.localhost\r\nSubject: Files\r\n"
        "Message-ID: <files@mail.example.net>\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    ).encode()
    separator = f"--{boundary}\r\n".encode()
    return head + b"".join(separator + part for part in parts) + f"--{boundary}--\r\n".encode()


@pytest.fixture
def sent_confirmation(make_ticket, mailoutbox):
    """A ticket by alice@example.org, and the Message-ID of the confirmation we really sent her."""
    ticket = make_ticket()
    email = OutboundEmail.objects.get(ticket=ticket)
    assert email_deliver(email.pk) is True
    email.refresh_from_db()
    assert email.message_id
    assert mailoutbox[0].extra_headers["Message-ID"] == f"<{email.message_id}>"
    return ticket, email.message_id


def reply_to(message_id: str, *, sender: str = "Alice Martin <alice@example.org>", references_only: bool = False):
    threading = (
        [f"References: <root@elsewhere.example> <{message_id}>"]
        if references_only
        else [f"In-Reply-To: <{message_id}>", f"References: <{message_id}>"]
    )
    return raw_message(
        sender=sender,
        subject="Re: Export fails",
        body=b"It still fails after the update.\r\n\r\n> The export button does nothing.\r\n",
        message_id="<reply-1@mail.example.org>",
        headers=threading,
    )


# --- A new message ------------------------------------------------------------


def test_it_opens_a_ticket_for_a_new_message_from_a_stranger():
    row = ingest(raw_message(), source="test")

    assert row.status == InboundStatus.PROCESSED
    ticket = Ticket.objects.get()
    assert row.ticket == ticket
    assert (ticket.channel, ticket.status, ticket.subject) == (Channel.EMAIL, Status.NEW, "Printer on fire")
    assert (ticket.requester.email, ticket.requester.name) == ("bob@example.net", "Bob Stranger")
    message = ticket.messages.get()
    assert (message.author_role, message.channel, message.inbound_email) == (AuthorRole.REQUESTER, Channel.EMAIL, row)
    assert "the printer in room 4 is on fire." in message.body
    assert (row.from_address, row.subject, row.message_id) == (
        "bob@example.net",
        "Printer on fire",
        "first@mail.example.net",
    )


def test_it_stores_the_raw_bytes_exactly_with_their_hash():
    # CRLF, 8-bit latin-1, trailing spaces and no final newline: nothing may be normalised.
    raw = raw_message(body=b"Caf\xe9 cr\xe8me  \r\n\r\n  indented\ttab", charset="iso-8859-1")

    row = ingest(raw, source="stdin")

    stored = InboundEmail.objects.get(pk=row.pk)
    assert bytes(stored.raw) == raw
    assert stored.sha256 == hashlib.sha256(raw).hexdigest()
    assert (stored.size, stored.source) == (len(raw), "stdin")
    assert "Café crème" in Ticket.objects.get().messages.get().body


def test_it_queues_a_confirmation_for_a_new_ticket():
    row = ingest(raw_message(), source="test")

    email = OutboundEmail.objects.get()
    assert (email.kind, email.to_address, email.ticket) == (OutboundKind.TICKET_CREATED, "bob@example.net", row.ticket)


def test_it_opens_a_ticket_for_an_auto_reply_but_sends_no_confirmation():
    raw = raw_message(subject="Out of office", headers=["Auto-Submitted: auto-replied"])

    row = ingest(raw, source="test")

    assert row.status == InboundStatus.PROCESSED
    assert Ticket.objects.get().subject == "Out of office"
    # Answering a robot starts a mail loop.
    assert not OutboundEmail.objects.exists()


def test_it_opens_a_french_ticket_for_a_french_message():
    raw = raw_message(
        subject="Export impossible", body="Bonjour, je n'arrive pas à exporter, merci pour votre aide.".encode()
    )

    ingest(raw, source="test")

    assert Ticket.objects.get().language == "fr"


def test_it_gives_a_message_without_subject_a_placeholder_subject():
    raw = raw_message().replace(b"Subject: Printer on fire\r\n", b"")

    row = ingest(raw, source="test")

    assert row.status == InboundStatus.PROCESSED
    assert Ticket.objects.get().subject.strip()


# --- Replies -----------------------------------------------------------------


def test_it_adds_a_reply_to_our_email_to_its_ticket(sent_confirmation):
    ticket, message_id = sent_confirmation

    row = ingest(reply_to(message_id), source="test")

    assert row.status == InboundStatus.PROCESSED
    assert row.ticket == ticket
    assert Ticket.objects.count() == 1
    reply = ticket.messages.order_by("created_at", "id").last()
    assert reply.inbound_email == row
    assert (reply.author.email, reply.author_role, reply.channel) == (
        "alice@example.org",
        AuthorRole.REQUESTER,
        Channel.EMAIL,
    )
    assert reply.body.startswith("It still fails after the update.")
    # A reply to an existing ticket is not confirmed again.
    assert OutboundEmail.objects.count() == 1


def test_it_threads_by_references_alone(sent_confirmation):
    ticket, message_id = sent_confirmation

    row = ingest(reply_to(message_id, references_only=True), source="test")

    assert row.ticket == ticket
    assert ticket.messages.count() == 2


def test_it_accepts_the_requester_address_in_another_case(sent_confirmation):
    ticket, message_id = sent_confirmation

    row = ingest(reply_to(message_id, sender="Alice <ALICE@Example.ORG>"), source="test")

    assert (row.status, row.ticket) == (InboundStatus.PROCESSED, ticket)


def test_it_threads_a_requester_reply_to_her_own_earlier_message():
    first = ingest(raw_message(), source="test")
    again = raw_message(
        subject="Re: Printer on fire",
        body=b"Forgot to say: it is the colour printer.\r\n",
        message_id="<second@mail.example.net>",
        headers=["In-Reply-To: <first@mail.example.net>"],
    )

    row = ingest(again, source="test")

    assert row.ticket == first.ticket
    assert first.ticket.messages.count() == 2


@pytest.mark.parametrize("status", [Status.PENDING, Status.ON_HOLD, Status.SOLVED])
def test_it_reopens_a_waiting_or_solved_ticket_on_reply(sent_confirmation, agent, status):
    ticket, message_id = sent_confirmation
    ticket_set_status(ticket, status, actor=agent)

    ingest(reply_to(message_id), source="test")

    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_it_keeps_a_new_ticket_new_on_reply(sent_confirmation):
    ticket, message_id = sent_confirmation

    ingest(reply_to(message_id), source="test")

    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_it_opens_a_linked_follow_up_for_a_reply_to_a_closed_ticket(sent_confirmation, agent):
    ticket, message_id = sent_confirmation
    ticket_set_status(ticket, Status.CLOSED, actor=agent)

    row = ingest(reply_to(message_id), source="test")

    follow_up = Ticket.objects.get(follow_up_of=ticket)
    assert row.ticket == follow_up
    assert follow_up.messages.get().inbound_email == row
    ticket.refresh_from_db()
    assert (ticket.status, ticket.messages.count()) == (Status.CLOSED, 1)


def test_it_quarantines_a_reply_from_someone_else(sent_confirmation):
    ticket, message_id = sent_confirmation

    row = ingest(reply_to(message_id, sender="Mallory <mallory@example.com>"), source="test")

    assert row.status == InboundStatus.QUARANTINED
    assert "participant" in row.quarantine_reason
    assert "mallory@example.com" in row.quarantine_reason
    assert row.ticket is None
    assert ticket.messages.count() == 1
    assert Ticket.objects.count() == 1
    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == reply_to(
        message_id, sender="Mallory <mallory@example.com>"
    )


# --- Duplicates ----------------------------------------------------------------


def test_it_stores_a_message_delivered_twice_once():
    raw = raw_message()

    first = ingest(raw, source="test")
    second = ingest(raw, source="test")

    assert second.pk == first.pk
    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.count() == 1
    assert Message.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


def test_it_recognises_the_same_message_id_through_another_relay():
    raw = raw_message()
    relayed = b"Received: from mx2.example.net by mx.comptoir.localhost; Tue, 3 Jun 2025 10:01:00 +0200\r\n" + raw

    ingest(raw, source="test")
    ingest(relayed, source="imap")

    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_it_deduplicates_a_message_without_message_id_by_its_hash():
    raw = raw_message(message_id=None)

    first = ingest(raw, source="test")
    second = ingest(raw, source="test")

    assert second.pk == first.pk
    assert first.message_id == ""
    assert InboundEmail.objects.count() == 1
    assert Ticket.objects.count() == 1


def test_it_keeps_two_different_messages_without_message_id():
    ingest(raw_message(message_id=None), source="test")
    ingest(raw_message(message_id=None, body=b"And the scanner too.\r\n"), source="test")

    assert InboundEmail.objects.count() == 2
    assert Ticket.objects.count() == 2


def test_it_processes_a_message_left_received_when_the_server_delivers_it_again(monkeypatch):
    raw = raw_message()
    real_act = inbound._act

    def database_down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(inbound, "_act", database_down)
    with pytest.raises(TemporaryFailure):
        ingest(raw, source="stdin")
    assert InboundEmail.objects.get().status == InboundStatus.RECEIVED

    # The MTA got exit 75 and delivers the same bytes again once the database is back.
    monkeypatch.setattr(inbound, "_act", real_act)
    row = ingest(raw, source="stdin")

    assert row.status == InboundStatus.PROCESSED, (
        "a message left 'received' by a temporary failure is never processed: the retry the MTA makes "
        "after exit 75 is answered from the dedup row (inbound.ingest returns it when created is False)"
    )
    assert Ticket.objects.count() == 1


def test_it_stores_a_message_whose_message_id_holds_a_nul_byte():
    # PostgreSQL refuses NUL in text columns; the raw bytes must still be kept
    # (SQLite accepts it, so this fails only on PostgreSQL).
    raw = raw_message(message_id="<a\x00b@mail.example.net>")

    try:
        row = ingest(raw, source="test")
    except TemporaryFailure as error:
        pytest.fail(
            f"a hostile Message-ID makes every delivery a temporary failure, so the message is never stored: {error}"
        )

    assert bytes(InboundEmail.objects.get(pk=row.pk).raw) == raw
    assert row.status in (InboundStatus.PROCESSED, InboundStatus.QUARANTINED)


# --- Attachments ---------------------------------------------------------------


def test_it_keeps_a_png_attachment():
    data = png_bytes()

    row = ingest(with_attachments([("screenshot.png", "image/png", data)]), source="test")

    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type, attachment.size) == ("screenshot.png", "image/png", len(data))
    assert attachment.ticket == row.ticket
    assert attachment.message.inbound_email == row
    with attachment.file.open("rb") as stored:
        assert stored.read() == data


def test_it_trusts_the_content_not_the_declared_type():
    ingest(with_attachments([("photo", "application/octet-stream", png_bytes())]), source="test")

    assert Attachment.objects.get().content_type == "image/png"


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200),
        ("blob.dat", bytes(range(256)) * 4),
    ],
    ids=["executable", "unknown-binary"],
)
def test_it_refuses_an_unsafe_attachment_and_says_so_in_the_message(filename, content):
    row = ingest(with_attachments([(filename, "application/octet-stream", content)]), source="test")

    assert row.status == InboundStatus.PROCESSED
    assert not Attachment.objects.exists()
    body = row.ticket.messages.get().body
    assert body.startswith("See the attached file.")
    assert filename in body
    assert body.count("[") == 1  # one note, for the one refused file


def test_it_keeps_the_good_file_and_notes_the_bad_one():
    files = [
        ("screenshot.png", "image/png", png_bytes()),
        ("setup.exe", "application/x-msdownload", b"MZ" + b"\0" * 100),
    ]

    row = ingest(with_attachments(files), source="test")

    assert list(Attachment.objects.values_list("filename", flat=True)) == ["screenshot.png"]
    assert "setup.exe" in row.ticket.messages.get().body


def test_it_writes_the_attachment_note_in_the_ticket_language():
    # An English message, ingested with the default (French) language active,
    # as the ingest_email command does.
    row = ingest(with_attachments([("setup.exe", "application/octet-stream", b"MZ" + b"\0" * 100)]), source="test")

    ticket = row.ticket
    assert ticket.language == "en"
    body = ticket.messages.get().body
    assert "[Attachment not kept:" in body, f"the note is not in the ticket's language (en): {body!r}"


# --- Unusable messages -------------------------------------------------------------


@pytest.mark.parametrize(
    "sender",
    [None, "", "undisclosed-recipients:;", "not an address", "Bob <bob@>"],
    ids=["missing", "empty", "empty-group", "no-at", "no-domain"],
)
def test_it_quarantines_a_message_without_usable_sender_and_keeps_it(sender):
    raw = raw_message(sender=sender)

    row = ingest(raw, source="test")

    stored = InboundEmail.objects.get(pk=row.pk)
    assert stored.status == InboundStatus.QUARANTINED
    assert "sender" in stored.quarantine_reason
    assert stored.processed_at is not None
    assert bytes(stored.raw) == raw
    assert not Ticket.objects.exists()


def test_it_quarantines_a_message_it_fails_to_process_and_keeps_it(monkeypatch):
    def broken(**kwargs):
        raise ValueError("unexpected shape")

    monkeypatch.setattr(inbound, "ticket_create", broken)
    raw = raw_message()

    row = ingest(raw, source="test")

    stored = InboundEmail.objects.get(pk=row.pk)
    assert stored.status == InboundStatus.QUARANTINED
    assert "ValueError" in stored.quarantine_reason
    assert bytes(stored.raw) == raw


# --- The ingest_email command (a real process, as the MTA runs it) ----------------


def command_env(tmp_path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "COMPTOIR_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "test-only-secret-key-for-the-ingest-subprocess-3b9d",
        "CELERY_BROKER_URL": "memory://",
        "DEBUG": "0",
    }


def test_it_stores_the_message_from_stdin_and_exits_0(tmp_path):
    database = tmp_path / "x.sqlite3"
    env = command_env(tmp_path, f"sqlite:///{database}")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, capture_output=True
    )
    assert migrate.returncode == 0, migrate.stderr.decode()
    raw = raw_message()

    result = subprocess.run(
        [sys.executable, "manage.py", "ingest_email"], input=raw, cwd=ROOT, env=env, capture_output=True, timeout=60
    )

    assert result.returncode == 0, result.stderr.decode()
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT raw_file, status, source, ticket_id FROM mail_inboundemail").fetchall()
    assert len(rows) == 1
    stored, status, source, ticket_id = rows[0]
    # The bytes are a file under the media folder, named by the row (comptoir.mail.raw_store).
    assert ((tmp_path / "media" / stored).read_bytes(), status, source) == (raw, "processed", "stdin")
    assert ticket_id is not None


def test_it_exits_75_when_the_database_is_down(tmp_path):
    # Nothing listens on port 1: the mail server must keep the message and retry.
    env = command_env(tmp_path, "postgres://postgres@127.0.0.1:1/none")

    result = subprocess.run(
        [sys.executable, "manage.py", "ingest_email"],
        input=raw_message(),
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )

    assert result.returncode == 75, result.stderr.decode()
    assert b"Temporary failure" in result.stderr
