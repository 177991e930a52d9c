"""The per-message time limit: a message that hangs the parser is quarantined, not lost."""

from __future__ import annotations

import threading
import time

import pytest

from comptoir.mail import inbound
from comptoir.mail.inbound import ingest
from comptoir.mail.models import InboundStatus
from comptoir.mail.timelimit import TimeLimitExceeded, time_limit
from comptoir.tickets.models import Ticket
from tests.mail.test_ingest import raw_message


def spin(seconds: float) -> None:
    # Busy Python code, as a pathological parse would be: the alarm interrupts it.
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_it_interrupts_a_block_that_runs_too_long():
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded), time_limit(0.2):
        spin(5)
    assert time.monotonic() - started < 2


def test_it_lets_a_quick_block_finish_and_disarms_the_alarm():
    with time_limit(0.5):
        spin(0.01)
    spin(0.7)  # an alarm left armed would fire here


def test_outside_the_main_thread_it_runs_without_a_limit():
    outcome: list[str] = []

    def worker() -> None:
        with time_limit(0.05):
            spin(0.2)
        outcome.append("finished")

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert outcome == ["finished"]


@pytest.mark.django_db
def test_a_message_that_hangs_the_parser_is_quarantined_with_its_bytes(settings, monkeypatch):
    settings.COMPTOIR_INBOUND_PARSE_SECONDS = 1

    def hanging_parse(raw: bytes) -> None:
        spin(30)

    monkeypatch.setattr(inbound, "parse_email", hanging_parse)
    raw = raw_message(message_id="<hangs@example.net>")

    started = time.monotonic()
    row = ingest(raw, source="test")

    assert time.monotonic() - started < 5
    assert row.status == InboundStatus.QUARANTINED
    assert "longer than 1 s" in row.quarantine_reason
    assert bytes(row.raw) == raw
    assert Ticket.objects.count() == 0
