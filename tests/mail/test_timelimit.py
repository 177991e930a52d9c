"""The per-message time limit: a message that hangs the parser is quarantined, not lost."""

from __future__ import annotations

import signal
import threading
import time

import pytest

from comptoir.gateway import inbound
from comptoir.gateway.inbound import ingest
from comptoir.mail.models import InboundStatus
from comptoir.mail.timelimit import TimeLimitExceeded, time_limit
from comptoir.tickets.models import Ticket
from tests.mail.test_ingest import raw_message


def spin(seconds: float, finished: list[float] | None = None) -> None:
    # Busy Python code, as a pathological parse would be: the alarm interrupts it.
    # ``finished`` records a spin that ran to its end, which an interrupted one never does.
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass
    if finished is not None:
        finished.append(seconds)


def test_it_interrupts_a_block_that_runs_too_long():
    finished: list[float] = []
    with pytest.raises(TimeLimitExceeded), time_limit(0.2):
        spin(30, finished)
    # Interrupted by the limit, not let run to its end: no bound on how long the machine took.
    assert finished == []


def test_it_lets_a_quick_block_finish_and_disarms_the_alarm():
    previous = signal.getsignal(signal.SIGALRM)
    with time_limit(60):  # a limit no machine reaches in this block: it finishes
        spin(0.01)
    # No alarm left armed to fire later, and the previous handler back.
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is previous


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

    finished: list[float] = []

    def hanging_parse(raw: bytes) -> None:
        spin(60, finished)

    monkeypatch.setattr(inbound, "parse_email", hanging_parse)
    raw = raw_message(message_id="<hangs@example.net>")

    row = ingest(raw, source="test")

    # The limit stopped the parse: ingest did not wait for it to end.
    assert finished == []
    assert row.status == InboundStatus.QUARANTINED
    assert "longer than 1 s" in row.quarantine_reason
    assert bytes(row.raw) == raw
    assert Ticket.objects.count() == 0
