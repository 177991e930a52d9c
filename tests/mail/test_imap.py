"""The IMAP feeder (comptoir.gateway.imap), against a real Dovecot on loopback.

The tests run outside a test transaction (transaction=True): the feeder marks
a message only after ingest() committed, and refuses to run inside a transaction.
"""

from __future__ import annotations

import imaplib
import io
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from comptoir.accounts.models import User
from comptoir.gateway import inbound
from comptoir.gateway.imap import FetchResult, fetch_all, fetch_mailbox, mailbox_claim, pause_after
from comptoir.gateway.tasks import fetch_mail
from comptoir.mail.models import AfterImport, InboundEmail, InboundStatus, Mailbox, MailboxSecurity
from comptoir.tickets.models import Message, Ticket
from tests.conftest import ROOT
from tests.mail.imap_server import ImapServer, running_dovecot
from tests.mail.test_ingest import raw_message

pytestmark = pytest.mark.django_db(transaction=True)

# Messages shaped as two common clients write them, with CRLF line ends, which
# IMAP hands back byte for byte. Written here, so the tests need no mail corpus.
# Gmail: multipart/alternative, quoted-printable UTF-8, an encoded-word subject.
GMAIL = (
    b"MIME-Version: 1.0\r\n"
    b"Date: Mon, 2 Jun 2025 18:03:06 +0200\r\n"
    b"Message-ID: <CAimapTest0gmail=7Yq2@mail.gmail.example>\r\n"
    b"Subject: =?UTF-8?B?xIxlc2vDvSB0ZXN0?=\r\n"  # "Český test"
    b"From: =?UTF-8?Q?Tom=C3=A1=C5=A1_Dvo=C5=99=C3=A1k?= <tomas.dvorak@gmail.example>\r\n"
    b"To: support@comptoir.localhost\r\n"
    b'Content-Type: multipart/alternative; boundary="000000000000imap0test0alt"\r\n'
    b"\r\n"
    b"--000000000000imap0test0alt\r\n"
    b'Content-Type: text/plain; charset="UTF-8"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Zkou=C5=A1ka =C4=8Desk=C3=BDch znak=C5=AF: =C5=99=C3=AD=C5=A1e, =C5=BElu=C5=A5o=\r\n"
    b"u=C4=8Dk=C3=BD k=C5=AF=C5=88.\r\n"
    b"\r\n"
    b"--000000000000imap0test0alt\r\n"
    b'Content-Type: text/html; charset="UTF-8"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b'<div dir=3D"ltr">Zkou=C5=A1ka =C4=8Desk=C3=BDch znak=C5=AF: =C5=99=C3=AD=C5=A1e, =C5=BEl=\r\n'
    b"u=C5=A5ou=C4=8Dk=C3=BD k=C5=AF=C5=88.</div>\r\n"
    b"\r\n"
    b"--000000000000imap0test0alt--\r\n"
)
# Thunderbird: text/plain, format=flowed, 7bit, a folded User-Agent, a forwarded message in the text.
THUNDERBIRD = (
    b"Return-Path: <jana.kral@example.org>\r\n"
    b"To: support@comptoir.localhost\r\n"
    b"From: Jana Kral <jana.kral@example.org>\r\n"
    b"Subject: Test with original message from GitHub\r\n"
    b"Message-ID: <5b1e9c2a-imap-test-thunderbird@example.org>\r\n"
    b"Date: Tue, 3 Jun 2025 12:56:39 +0200\r\n"
    b"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101\r\n"
    b" Thunderbird/128.11.0\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
    b"Content-Transfer-Encoding: 7bit\r\n"
    b"Content-Language: en-US\r\n"
    b"\r\n"
    b"Forwarding this, it came in yesterday.\r\n"
    b"\r\n"
    b"-------- Forwarded Message --------\r\n"
    b"Subject: [GitHub] A new public key was added to your account\r\n"
    b"Date: Mon, 2 Jun 2025 09:09:00 +0000\r\n"
    b"From: GitHub <noreply@github.example>\r\n"
    b"\r\n"
    b"Hello, a new public key was added to your account. If you did not do this, \r\n"
    b"please remove it.\r\n"
)
SEEN = {"\\Seen"}


@pytest.fixture
def imap(tmp_path, settings) -> Iterator[ImapServer]:
    with running_dovecot(tmp_path / "imap") as server:
        # Our client trusts the test certificate, and only it.
        settings.COMPTOIR_IMAP_CA_FILE = str(server.cafile)
        yield server


def make_mailbox(server: ImapServer, **fields) -> Mailbox:
    values = {
        "name": "support",
        "host": server.host,
        "port": server.tls_port,
        "security": MailboxSecurity.TLS,
        "username": server.user,
        "password": server.password,
        **fields,
    }
    return Mailbox.objects.create(**values)


def numbered(number: int) -> bytes:
    return raw_message(subject=f"Question {number}", message_id=f"<question-{number}@mail.example.net>")


def counts(result: FetchResult) -> tuple[int, int, int, int]:
    return (result.fetched, result.ingested, result.duplicates, result.failed)


# --- Importing ---------------------------------------------------------------------


def test_it_turns_unread_messages_into_tickets_and_marks_them_read(imap):
    imap.append(GMAIL)
    imap.append(THUNDERBIRD)
    imap.append(numbered(1), flags="\\Seen")  # read in a mail client: not ours to import
    mailbox = make_mailbox(imap)

    result = fetch_mailbox(mailbox)

    assert (counts(result), result.error, result.temporary_failure) == ((2, 2, 0, 0), "", False)
    rows = list(InboundEmail.objects.order_by("pk"))
    assert [bytes(row.raw) for row in rows] == [GMAIL, THUNDERBIRD]
    assert [(row.source, row.status) for row in rows] == [("imap:support", InboundStatus.PROCESSED)] * 2
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [
        "Test with original message from GitHub",
        "Český test",
    ]
    assert Message.objects.filter(inbound_email__in=rows).count() == 2
    assert [flags for _, flags in imap.messages()] == [SEEN, SEEN, SEEN]
    mailbox.refresh_from_db()
    assert (mailbox.consecutive_failures, mailbox.last_error, mailbox.claimed_until) == (0, "", None)
    assert mailbox.last_success_at is not None


def test_it_fetches_nothing_more_on_the_next_run(imap):
    imap.append(GMAIL)
    mailbox = make_mailbox(imap)
    fetch_mailbox(mailbox)

    result = fetch_mailbox(mailbox)

    assert counts(result) == (0, 0, 0, 0)
    assert InboundEmail.objects.count() == 1


def test_it_moves_read_and_unread_messages_to_the_folder_over_starttls(imap):
    imap.append(GMAIL)
    imap.append(THUNDERBIRD, flags="\\Seen")
    mailbox = make_mailbox(imap, port=imap.plain_port, security=MailboxSecurity.STARTTLS, after_import=AfterImport.MOVE)

    result = fetch_mailbox(mailbox)

    assert (counts(result), result.error) == ((2, 2, 0, 0), "")
    assert imap.messages() == []
    # "Comptoir/Imported", created on the way, in the server's own hierarchy (Dovecot's maildir uses ".").
    assert [raw for raw, _ in imap.messages("Comptoir.Imported")] == [GMAIL, THUNDERBIRD]


def test_it_copies_then_expunges_on_a_server_without_move(tmp_path, settings, monkeypatch):
    # The server announces no MOVE after login (Dovecot's usual list, minus MOVE).
    without_move = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE UIDPLUS"
    commands: list[str] = []
    real_uid = imaplib.IMAP4.uid

    def recording_uid(self, command, *args):
        commands.append(command)
        return real_uid(self, command, *args)

    monkeypatch.setattr(imaplib.IMAP4, "uid", recording_uid)
    with running_dovecot(tmp_path / "imap", extra_config=without_move) as server:
        settings.COMPTOIR_IMAP_CA_FILE = str(server.cafile)
        server.append(GMAIL)
        mailbox = make_mailbox(server, after_import=AfterImport.MOVE, move_to="Done")

        result = fetch_mailbox(mailbox)

        assert (counts(result), result.error) == ((1, 1, 0, 0), "")
        assert commands == ["SEARCH", "FETCH", "COPY", "STORE", "EXPUNGE"]
        assert server.messages() == []
        assert [raw for raw, _ in server.messages("Done")] == [GMAIL]


def test_it_deletes_imported_messages_over_an_allowed_plain_text_connection(imap):
    imap.append(GMAIL)
    imap.append(THUNDERBIRD, flags="\\Seen")
    mailbox = make_mailbox(
        imap,
        port=imap.plain_port,
        security=MailboxSecurity.NONE,
        allow_insecure=True,
        after_import=AfterImport.DELETE,
    )

    result = fetch_mailbox(mailbox)

    assert (counts(result), result.error) == ((2, 2, 0, 0), "")
    assert imap.messages() == []
    assert InboundEmail.objects.count() == 2


def test_it_limits_the_messages_taken_in_one_run(imap, monkeypatch):
    monkeypatch.setattr("comptoir.gateway.imap.MAX_MESSAGES_PER_RUN", 2)
    for number in range(3):
        imap.append(numbered(number))
    mailbox = make_mailbox(imap)

    first, second = fetch_mailbox(mailbox), fetch_mailbox(mailbox)

    assert (counts(first), counts(second)) == ((2, 2, 0, 0), (1, 1, 0, 0))
    assert [flags for _, flags in imap.messages()] == [SEEN, SEEN, SEEN]


# --- Our side fails: the message stays on the server --------------------------------------


def test_it_leaves_the_message_unread_when_the_database_fails_and_imports_it_later(imap, monkeypatch):
    imap.append(GMAIL)
    imap.append(THUNDERBIRD)
    mailbox = make_mailbox(imap)
    real_act = inbound._act

    def database_down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(inbound, "_act", database_down)
    result = fetch_mailbox(mailbox)

    assert (counts(result), result.temporary_failure, result.error) == ((1, 0, 0, 1), True, "")
    # The run stopped at the first failure; nothing was marked.
    assert [flags for _, flags in imap.messages()] == [set(), set()]
    assert InboundEmail.objects.get().status == InboundStatus.RECEIVED
    mailbox.refresh_from_db()
    # Our fault, not the mailbox's: it is not on its way to a pause.
    assert (mailbox.consecutive_failures, mailbox.paused_until) == (0, None)

    monkeypatch.setattr(inbound, "_act", real_act)
    result = fetch_mailbox(mailbox)

    assert counts(result) == (2, 2, 0, 0)
    assert [flags for _, flags in imap.messages()] == [SEEN, SEEN]
    assert InboundEmail.objects.filter(status=InboundStatus.PROCESSED).count() == 2
    assert Ticket.objects.count() == 2


# --- Connections we refuse, and failing mailboxes ---------------------------------------


def test_it_refuses_plain_text_unless_insecure_is_allowed(imap):
    imap.append(GMAIL)
    mailbox = make_mailbox(imap, port=imap.plain_port, security=MailboxSecurity.NONE)

    result = fetch_mailbox(mailbox)

    assert "refused" in result.error
    assert counts(result) == (0, 0, 0, 0)
    assert [flags for _, flags in imap.messages()] == [set()]
    mailbox.refresh_from_db()
    assert mailbox.consecutive_failures == 1
    assert "Allow insecure" in mailbox.last_error
    with pytest.raises(ValidationError) as refused:
        mailbox.full_clean()
    assert "security" in refused.value.message_dict


def test_it_refuses_a_server_whose_certificate_it_cannot_verify(imap, settings):
    settings.COMPTOIR_IMAP_CA_FILE = ""  # the system's CAs, which never signed the test certificate
    imap.append(GMAIL)
    mailbox = make_mailbox(imap)

    result = fetch_mailbox(mailbox)

    assert "CERTIFICATE_VERIFY_FAILED" in result.error
    assert [flags for _, flags in imap.messages()] == [set()]
    assert not InboundEmail.objects.exists()


def test_it_pauses_a_mailbox_after_repeated_failures_and_still_polls_the_others(imap, settings):
    settings.COMPTOIR_IMAP_PAUSE_AFTER_FAILURES = 3
    broken = make_mailbox(imap, name="broken", password="not-the-password")
    make_mailbox(imap, name="support")

    for number in range(3):
        imap.append(numbered(number))
        before = timezone.now()
        results = {result.mailbox: result for result in fetch_all()}
        after = timezone.now()
        assert "AUTHENTICATIONFAILED" in results["broken"].error
        assert (counts(results["support"]), results["support"].error) == ((1, 1, 0, 0), "")

    broken.refresh_from_db()
    assert broken.consecutive_failures == 3
    assert "AUTHENTICATIONFAILED" in broken.last_error
    # Paused 5 minutes from the third failure, however long the polls took on this machine.
    assert before + timedelta(minutes=5) <= broken.paused_until <= after + timedelta(minutes=5)

    imap.append(numbered(3))
    while_paused = fetch_all()

    assert [(result.mailbox, counts(result)) for result in while_paused] == [("support", (1, 1, 0, 0))]

    # The pause is over: one more failure doubles it.
    Mailbox.objects.filter(pk=broken.pk).update(paused_until=timezone.now() - timedelta(seconds=1))
    before = timezone.now()
    fetch_all()
    after = timezone.now()

    broken.refresh_from_db()
    assert broken.consecutive_failures == 4
    assert before + timedelta(minutes=10) <= broken.paused_until <= after + timedelta(minutes=10)

    # Fixed, and the pause over: a success clears the slate.
    Mailbox.objects.filter(pk=broken.pk).update(
        password=imap.password, paused_until=timezone.now() - timedelta(seconds=1)
    )
    fixed = {result.mailbox: result for result in fetch_all()}

    assert fixed["broken"].error == ""
    broken.refresh_from_db()
    assert (broken.consecutive_failures, broken.paused_until, broken.last_error) == (0, None, "")


def test_the_pause_starts_at_5_minutes_and_doubles_up_to_6_hours(settings):
    settings.COMPTOIR_IMAP_PAUSE_AFTER_FAILURES = 5

    pauses = {failures: pause_after(failures) for failures in (1, 4, 5, 6, 7, 11, 12, 1000)}

    assert pauses == {
        1: None,
        4: None,
        5: timedelta(minutes=5),
        6: timedelta(minutes=10),
        7: timedelta(minutes=20),
        11: timedelta(minutes=320),
        12: timedelta(hours=6),
        1000: timedelta(hours=6),
    }


def test_a_database_error_on_one_mailbox_does_not_stop_the_next(imap, monkeypatch):
    make_mailbox(imap, name="a-first")
    make_mailbox(imap, name="b-second")
    imap.append(GMAIL)
    real_claim = mailbox_claim

    def database_gone_for_the_first(mailbox):
        if mailbox.name == "a-first":
            raise OperationalError("database is locked")
        return real_claim(mailbox)

    monkeypatch.setattr("comptoir.gateway.imap.mailbox_claim", database_gone_for_the_first)

    results = fetch_all()

    assert [(result.mailbox, result.temporary_failure, counts(result)) for result in results] == [
        ("a-first", True, (0, 0, 0, 0)),
        ("b-second", False, (1, 1, 0, 0)),
    ]


# --- One worker per mailbox ------------------------------------------------------------


def test_only_one_of_two_workers_claiming_a_mailbox_at_once_gets_it(imap):
    mailbox = make_mailbox(imap)
    start = threading.Barrier(2)
    claims = []

    def worker():
        try:
            start.wait(timeout=10)
            claims.append(mailbox_claim(mailbox))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(claims) == 2
    assert sum(claim is not None for claim in claims) == 1

    # While it is held, another run leaves the mailbox alone.
    imap.append(GMAIL)
    result = fetch_mailbox(mailbox)

    assert result.skipped == "being polled by another worker"
    assert [flags for _, flags in imap.messages()] == [set()]

    # A claim expires: a killed worker does not block the mailbox for ever.
    Mailbox.objects.filter(pk=mailbox.pk).update(claimed_until=timezone.now() - timedelta(seconds=1))
    result = fetch_mailbox(mailbox)

    assert counts(result) == (1, 1, 0, 0)


def test_it_refuses_to_run_inside_a_transaction(imap):
    mailbox = make_mailbox(imap)

    with transaction.atomic(), pytest.raises(RuntimeError, match="outside a transaction"):
        fetch_mailbox(mailbox)


# --- The command and the beat job ----------------------------------------------------------


def run_command(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("fetch_mail", *args, stdout=out)
    except SystemExit as exit:
        return int(exit.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_the_command_prints_each_mailbox_and_exits_0(imap):
    imap.append(GMAIL)
    imap.append(THUNDERBIRD)
    make_mailbox(imap)

    status, output = run_command()

    assert (status, output) == (0, "support: fetched 2, ingested 2, duplicates 0, failed 0\n")


def test_the_command_exits_1_when_a_mailbox_failed(imap):
    make_mailbox(imap, name="broken", password="wrong")
    make_mailbox(imap, name="support")
    imap.append(GMAIL)

    status, output = run_command()

    assert status == 1
    broken, support = output.splitlines()
    assert broken.startswith("broken: fetched 0, ingested 0, duplicates 0, failed 0; error: ")
    assert "AUTHENTICATIONFAILED" in broken
    assert support == "support: fetched 1, ingested 1, duplicates 0, failed 0"


def test_the_command_exits_75_when_our_side_failed(imap, monkeypatch):
    make_mailbox(imap)
    imap.append(GMAIL)

    def database_down(*args, **kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr(inbound, "_act", database_down)

    status, output = run_command()

    assert status == 75
    assert output.startswith("support: fetched 1, ingested 0, duplicates 0, failed 1; temporary failure")


def test_the_command_polls_only_the_named_mailbox(imap):
    make_mailbox(imap, name="broken", password="wrong")
    make_mailbox(imap, name="support")
    imap.append(GMAIL)

    status, output = run_command("--mailbox", "support")

    assert (status, output) == (0, "support: fetched 1, ingested 1, duplicates 0, failed 0\n")
    with pytest.raises(CommandError, match="No mailbox named 'nope'"):
        call_command("fetch_mail", "--mailbox", "nope")


def test_the_beat_job_fetches_every_minute(imap):
    imap.append(GMAIL)
    make_mailbox(imap)

    ingested = fetch_mail.apply().get()

    assert ingested == 1
    assert [flags for _, flags in imap.messages()] == [SEEN]
    entry = django_settings.CELERY_BEAT_SCHEDULE["fetch-mail"]
    assert (entry["task"], entry["schedule"]) == ("comptoir.gateway.tasks.fetch_mail", 60.0)


# --- The admin -----------------------------------------------------------------------


def admin_form(**fields: str) -> dict[str, str]:
    return {
        "name": "support",
        "enabled": "on",
        "host": "imap.example.net",
        "port": "993",
        "security": "tls",
        "username": "support@example.net",
        "password": "",
        "folder": "INBOX",
        "after_import": "seen",
        "move_to": "Comptoir/Imported",
        "paused_until_0": "",
        "paused_until_1": "",
        **fields,
    }


def test_the_admin_never_shows_the_password_and_keeps_it_when_left_empty(client):
    mailbox = Mailbox.objects.create(
        name="support", host="old.example.net", username="support@example.net", password="s3cret-Pa55"
    )
    client.force_login(User.objects.create_superuser("boss@example.com"))
    url = reverse("admin:mail_mailbox_change", args=[mailbox.pk])

    page = client.get(url)

    assert page.status_code == 200
    assert b'type="password"' in page.content
    assert b"s3cret-Pa55" not in page.content

    response = client.post(url, admin_form())

    assert response.status_code == 302, response.context["adminform"].form.errors
    mailbox.refresh_from_db()
    assert (mailbox.host, mailbox.password) == ("imap.example.net", "s3cret-Pa55")

    client.post(url, admin_form(password="n3w-Pa55"))

    mailbox.refresh_from_db()
    assert mailbox.password == "n3w-Pa55"
    changelist = client.get(reverse("admin:mail_mailbox_changelist"))
    assert changelist.status_code == 200
    assert b"imap.example.net" in changelist.content


def test_the_admin_refuses_plain_text_without_allow_insecure_and_a_new_mailbox_without_password(client):
    client.force_login(User.objects.create_superuser("boss@example.com"))
    url = reverse("admin:mail_mailbox_add")

    response = client.post(url, admin_form(security="none", password="pw", port="143"))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"security"}
    response = client.post(url, admin_form())
    assert set(response.context["adminform"].form.errors) == {"password"}
    assert not Mailbox.objects.exists()

    response = client.post(url, admin_form(security="none", allow_insecure="on", password="pw", port="143"))

    assert response.status_code == 302
    assert Mailbox.objects.get().security == MailboxSecurity.NONE


# --- A worker killed half-way (real processes, os._exit: no clean-up at all) ---------------

KILLED_WORKER = """
import os
import sys

import django

django.setup()

from django.core.management import call_command
from django.db import transaction

from comptoir.gateway import imap, inbound

moment, entry = sys.argv[1], sys.argv[2]
real_ingest, real_act = imap.ingest, inbound._act


def die_before_ingest(raw, **how):
    os._exit(9)  # fetched, nothing stored


def die_before_commit(row, parsed, *rest, **how):
    with transaction.atomic():
        real_act(row, parsed, *rest, **how)
        os._exit(9)  # the ticket written, its transaction never committed


def die_after_commit(raw, **how):
    real_ingest(raw, **how)
    os._exit(9)  # committed, the message not yet marked on the server


if moment == "before-ingest":
    imap.ingest = die_before_ingest
elif moment == "before-commit":
    inbound._act = die_before_commit
else:
    imap.ingest = die_after_commit

if entry == "task":
    from comptoir.gateway.tasks import fetch_mail

    fetch_mail.apply()
else:
    call_command("fetch_mail")
"""


@pytest.fixture(scope="module")
def migrated_database(tmp_path_factory) -> bytes:
    """A migrated SQLite database file with one mailbox, for the worker processes (made once, copied per test).

    The mailbox's port is set per test, to that test's Dovecot.
    """
    directory = tmp_path_factory.mktemp("imap-db")
    database = directory / "template.sqlite3"
    env = worker_env(directory, database)
    create_mailbox = (
        "from comptoir.mail.models import Mailbox; "
        "Mailbox.objects.create(name='support', host='127.0.0.1', port=1, username='support', password='')"
    )
    for command in (["migrate", "--no-input", "-v0"], ["shell", "-c", create_mailbox]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, timeout=120
        )
        assert result.returncode == 0, result.stderr.decode()
    return database.read_bytes()


def worker_env(directory, database, cafile: str = "") -> dict[str, str]:
    # As tests/mail/test_ingest.py runs ingest_email: its own database file, no broker server.
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "comptoir.settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{database}",
        "COMPTOIR_VAR_DIR": str(directory),
        "SECRET_KEY": "test-only-secret-key-for-the-imap-subprocess-7c2e",
        "CELERY_BROKER_URL": "memory://",
        "COMPTOIR_IMAP_CA_FILE": cafile,
        "DEBUG": "0",
    }


@pytest.mark.parametrize(
    ("moment", "entry"),
    [
        ("before-ingest", "command"),
        ("before-commit", "command"),
        ("after-commit", "command"),
        ("after-commit", "task"),
    ],
)
def test_a_message_is_ingested_exactly_once_after_a_worker_is_killed(imap, tmp_path, migrated_database, moment, entry):
    database = tmp_path / "worker.sqlite3"
    database.write_bytes(migrated_database)
    env = worker_env(tmp_path, database, str(imap.cafile))

    def run(*command: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([sys.executable, *command], cwd=ROOT, env=env, capture_output=True, timeout=120)

    def query(sql: str, *parameters) -> list[tuple]:
        with sqlite3.connect(database) as db:
            return db.execute(sql, parameters).fetchall()

    query("UPDATE mail_mailbox SET host = ?, port = ?, password = ?", imap.host, imap.tls_port, imap.password)
    imap.append(GMAIL)
    script = tmp_path / "killed_worker.py"
    script.write_text(KILLED_WORKER)

    killed = run(str(script), moment, entry)

    assert killed.returncode == 9, killed.stderr.decode()
    assert [flags for _, flags in imap.messages()] == [set()], "a message was marked before its commit"
    # Killed before its commit, the message left no row: the row is inserted in the transaction that acts on it.
    stored = {"before-ingest": [], "before-commit": [], "after-commit": [("processed",)]}[moment]
    assert query("SELECT status FROM mail_inboundemail") == stored

    # The dead worker's claim still holds the mailbox...
    held = run("manage.py", "fetch_mail")
    assert (held.returncode, held.stdout.decode()) == (0, "support: skipped, being polled by another worker\n")

    # ...until it expires (15 minutes later in real life).
    query("UPDATE mail_mailbox SET claimed_until = '2000-01-01 00:00:00'")
    again = run("manage.py", "fetch_mail")

    assert again.returncode == 0, again.stderr.decode()
    ingested, duplicates = (0, 1) if moment == "after-commit" else (1, 0)
    assert again.stdout.decode() == f"support: fetched 1, ingested {ingested}, duplicates {duplicates}, failed 0\n"
    assert [(raw, flags) for raw, flags in imap.messages()] == [(GMAIL, SEEN)]
    rows = query("SELECT id, status, source FROM mail_inboundemail")
    assert [(status, source) for _, status, source in rows] == [("processed", "imap:support")]
    assert query("SELECT count(*) FROM tickets_ticket") == [(1,)]
    assert query("SELECT inbound_email_id FROM tickets_message") == [(rows[0][0],)]
