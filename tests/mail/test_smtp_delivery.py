"""Outbound e-mail against a real SMTP server on loopback (aiosmtpd), stopped and started at will."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import mktime_tz, parsedate_tz
from pathlib import Path

import dkim
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from celery import Task
from celery.signals import task_postrun
from django.utils import timezone

from comptoir.celery import app as celery_app
from comptoir.events.dispatch import dispatch_ticket
from comptoir.mail.models import OutboundEmail, OutboundStatus
from comptoir.mail.outbound import MAX_ATTEMPTS, email_deliver, stalled_email_ids
from comptoir.mail.tasks import deliver_email, requeue_stalled_email
from tests.conftest import running_worker
from tests.mail.test_dkim import RECORD_NAME, configure_dkim, dns_with, generate_rsa_key, published_record

# Accents, and the typographic apostrophe French writers use (outside Latin-1).
SUBJECT = "Problème d\u2019accès à l\u2019espace élève"


class Inbox:
    """An aiosmtpd handler that keeps each message's bytes exactly as they arrived."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.original_content, bytes)
        self.messages.append(envelope.original_content)
        return "250 Message accepted"


class SmtpServer:
    """A real SMTP server on a loopback port; it starts stopped, like a server that is down."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=port)
        self.running = False

    def start(self) -> None:
        self._controller.start()
        self.running = True

    def stop(self) -> None:
        self._controller.stop()
        self.running = False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 5
    yield server
    if server.running:
        server.stop()


@pytest.fixture
def dkim_key(settings, tmp_path) -> Path:
    key_file = generate_rsa_key(tmp_path / "dkim.pem")
    configure_dkim(settings, key_file)
    return key_file


def message_ids(raw_messages: list[bytes]) -> list[str]:
    return [str(message_from_bytes(raw, policy=policy.default)["Message-ID"]) for raw in raw_messages]


def test_it_keeps_every_email_while_the_server_is_down_and_delivers_each_once_when_it_is_back(
    transactional_db, smtp_server, make_ticket, dkim_key
):
    celery_app.control.purge()  # only this test's tasks in the broker
    # Each new ticket's change is handed to the notifications subscriber (here, as
    # a worker would), which queues the confirmation and, on commit, a delivery
    # task that waits in the broker: no worker runs yet.
    for number in range(3):
        ticket = make_ticket(email=f"client{number}@example.org", subject=f"{SUBJECT} ({number})", language="fr")
        dispatch_ticket(ticket.pk)
    emails = list(OutboundEmail.objects.order_by("pk"))
    assert len(emails) == 3

    # The server is down: each attempt fails and the e-mail goes back in the queue.
    for email in emails:
        with pytest.raises(ConnectionRefusedError):
            email_deliver(email.pk)
    for email in emails:
        email.refresh_from_db()
        assert (email.status, email.attempts) == (OutboundStatus.QUEUED, 1)
        assert "ConnectionRefusedError" in email.last_error

    # The server comes back. The periodic job finds the e-mails and enqueues
    # them; a real worker runs those tasks and the three left in the broker on
    # commit: two tasks for each e-mail.
    smtp_server.start()
    # Their retries fell due a while ago (their tasks were lost, say).
    OutboundEmail.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert requeue_stalled_email() == 3
    finished: list[int] = []

    def count(sender: Task, args: tuple[int], **kwargs: object) -> None:
        if sender.name == deliver_email.name:
            finished.append(args[0])

    task_postrun.connect(count, weak=False)
    try:
        with running_worker():
            deadline = time.monotonic() + 60  # ends as soon as done; room for a loaded machine
            while len(finished) < 6 and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        task_postrun.disconnect(count)
    assert sorted(finished) == sorted([email.pk for email in emails] * 2)

    assert list(OutboundEmail.objects.values_list("status", "last_error").distinct()) == [(OutboundStatus.SENT, "")]
    sent_ids = sorted(f"<{message_id}>" for message_id in OutboundEmail.objects.values_list("message_id", flat=True))
    assert sorted(message_ids(smtp_server.inbox.messages)) == sent_ids
    record = published_record(dkim_key)
    for raw in smtp_server.inbox.messages:
        assert dkim.verify(raw, dnsfunc=dns_with(RECORD_NAME, record))

    # Nothing is left to send, and delivering again sends nothing.
    assert stalled_email_ids(older_than=timedelta(0)) == []
    assert [email_deliver(email.pk) for email in emails] == [False, False, False]
    assert len(smtp_server.inbox.messages) == 3


@pytest.mark.django_db
def test_what_arrives_is_a_well_formed_signed_multipart_email(smtp_server, make_ticket, dkim_key):
    smtp_server.start()
    before = int(time.time())  # the Date header counts whole seconds
    ticket = make_ticket(subject=SUBJECT, language="fr")
    email = OutboundEmail.objects.get()
    assert email_deliver(email.pk) is True
    after = time.time()
    [raw] = smtp_server.inbox.messages
    email.refresh_from_db()

    assert dkim.verify(raw, dnsfunc=dns_with(RECORD_NAME, published_record(dkim_key)))
    header_block = raw.split(b"\r\n\r\n", 1)[0]
    assert header_block.isascii()
    assert re.search(rb"\r\nSubject:\s+=\?utf-8\?", header_block)

    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    assert SUBJECT in message["Subject"]
    assert f"[#{ticket.reference}]" in message["Subject"]
    assert message["Message-ID"] == f"<{email.message_id}>"
    # Django writes the date in UTC ("-0000"): it must be now.
    date = parsedate_tz(message["Date"])
    assert date is not None
    assert before <= mktime_tz(date) <= after
    assert message["From"].addresses[0].addr_spec == "support@exemple.fr"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"

    assert message.get_content_type() == "multipart/alternative"
    text, html = message.iter_parts()
    assert (text.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert SUBJECT in text.get_content()
    html_source = html.get_content()
    assert SUBJECT in html_source
    # No tracking pixel, nor any other image fetched when the e-mail is opened.
    assert "<img" not in html_source.lower()


@pytest.mark.django_db
def test_the_task_gives_up_after_the_last_attempt_and_keeps_the_error(smtp_server, make_ticket):
    make_ticket()
    email = OutboundEmail.objects.get()

    # Run in-process, a retry comes at once, before the e-mail is due again, and
    # waits: each run spends one attempt. Time passing is the due time moving back.
    for _ in range(MAX_ATTEMPTS + 2):
        OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
        deliver_email.apply(args=(email.pk,))

    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundStatus.FAILED, MAX_ATTEMPTS)
    assert email.last_error.startswith("ConnectionRefusedError")
    assert smtp_server.inbox.messages == []


@pytest.mark.django_db
def test_an_apostrophe_in_a_subject_arrives_as_typed(smtp_server, make_ticket):
    # Regression: the *-subject.txt templates were rendered with autoescape on,
    # so "Can't" arrived as "Can&#x27;t".
    smtp_server.start()
    make_ticket(subject="Can't log in & <urgent>", language="en")
    assert email_deliver(OutboundEmail.objects.get().pk) is True
    [raw] = smtp_server.inbox.messages
    assert "Can't log in & <urgent>" in message_from_bytes(raw, policy=policy.default)["Subject"]
