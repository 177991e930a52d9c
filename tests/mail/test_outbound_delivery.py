from __future__ import annotations

import time

import pytest

from comptoir.mail.models import OutboundEmail, OutboundStatus
from comptoir.mail.outbound import MAX_ATTEMPTS, email_deliver, stalled_email_ids
from tests.conftest import running_worker


def test_it_delivers_through_a_real_worker_after_commit(transactional_db, make_ticket, mailoutbox):
    with running_worker():
        ticket = make_ticket()
        deadline = time.monotonic() + 60  # ends as soon as done; room for a loaded machine
        while not mailoutbox and time.monotonic() < deadline:
            time.sleep(0.1)
    assert len(mailoutbox) == 1
    assert f"[#{ticket.reference}]" in mailoutbox[0].subject
    assert OutboundEmail.objects.get().status == OutboundStatus.SENT


@pytest.fixture
def smtp_down(settings):
    """A real SMTP backend pointed at a loopback port where nothing listens."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2


@pytest.mark.django_db
@pytest.mark.usefixtures("smtp_down")
def test_it_puts_the_email_back_in_the_queue_when_the_smtp_server_is_down(make_ticket):
    make_ticket()
    email = OutboundEmail.objects.get()
    with pytest.raises(ConnectionRefusedError):
        email_deliver(email.pk)
    email.refresh_from_db()
    assert email.status == OutboundStatus.QUEUED
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error


@pytest.mark.django_db
@pytest.mark.usefixtures("smtp_down")
def test_it_gives_up_after_the_last_attempt_and_says_why(make_ticket):
    make_ticket()
    email = OutboundEmail.objects.get()
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=MAX_ATTEMPTS - 1)
    with pytest.raises(ConnectionRefusedError):
        email_deliver(email.pk)
    email.refresh_from_db()
    assert email.status == OutboundStatus.FAILED


@pytest.mark.django_db
def test_it_sends_an_email_once_even_when_delivered_twice(make_ticket, mailoutbox):
    make_ticket()
    email = OutboundEmail.objects.get()
    assert email_deliver(email.pk) is True
    assert email_deliver(email.pk) is False
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_it_finds_emails_a_lost_task_left_behind(make_ticket):
    from datetime import timedelta

    from django.utils import timezone

    make_ticket()
    email = OutboundEmail.objects.get()
    assert stalled_email_ids() == []
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert stalled_email_ids() == [email.pk]


@pytest.mark.django_db
@pytest.mark.usefixtures("smtp_down")
def test_an_outage_spends_attempts_only_on_the_backoff_schedule(make_ticket):
    """Early tasks (the periodic rescue, duplicates) wait for the e-mail's due time instead of burning attempts."""
    from datetime import timedelta

    from django.utils import timezone

    make_ticket()
    email = OutboundEmail.objects.get()
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - timedelta(minutes=30))
    before = timezone.now()
    with pytest.raises(ConnectionRefusedError):
        email_deliver(email.pk)
    after = timezone.now()
    email.refresh_from_db()
    assert email.attempts == 1
    # 30 s after the failure, however long the attempt took on this machine.
    assert before + timedelta(seconds=30) <= email.next_attempt_at <= after + timedelta(seconds=30)

    # Ten early deliveries and rescues during the outage: none of them counts as an attempt.
    for _ in range(10):
        assert stalled_email_ids() == []
        assert email_deliver(email.pk) is False
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutboundStatus.QUEUED, 1)

    # Once due, the next attempt happens (and waits twice as long after failing).
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    before = timezone.now()
    with pytest.raises(ConnectionRefusedError):
        email_deliver(email.pk)
    after = timezone.now()
    email.refresh_from_db()
    assert email.attempts == 2
    assert before + timedelta(seconds=60) <= email.next_attempt_at <= after + timedelta(seconds=60)

    # A retry task that was lost is rescued by the periodic job a little after it was due.
    OutboundEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=3))
    assert stalled_email_ids() == [email.pk]
