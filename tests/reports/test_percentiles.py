"""Percentiles computed in the database: the continuous definition, the same answer on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from comptoir.reports.models import TicketFacts
from comptoir.reports.percentiles import percentiles


@pytest.fixture
def facts(make_ticket):
    """Six tickets' facts; the subscriber wrote them, the test sets the waits it reasons about."""
    for number in range(6):
        make_ticket(subject=f"Ticket {number}")
    rows = list(TicketFacts.objects.order_by("pk"))
    assert len(rows) == 6
    # Group 1: 10, 20, 30, 40 s. Group 2: 100 s and one ticket not answered yet.
    for row, (group, seconds) in zip(rows, [(1, 40), (1, 10), (1, 30), (1, 20), (2, 100), (2, None)], strict=True):
        TicketFacts.objects.filter(pk=row.pk).update(group=group, first_reply_seconds=seconds)
    return TicketFacts.objects.all()


def test_the_median_and_the_90th_percentile_are_interpolated_between_neighbours(facts):
    # Ranks 1 + p (n - 1) over 10, 20, 30, 40, 100: 3 (30) for the median; 4.6 for p90: 40 + 0.6 * 60 = 76.
    [(median, p90)] = percentiles(facts, "first_reply_seconds").values()
    assert median == 30
    assert p90 == pytest.approx(76)


def test_per_group_each_has_its_own_and_empty_values_are_left_out(facts):
    answer = percentiles(facts, "first_reply_seconds", group="group")
    # Group 1: median between 20 and 30; p90 at rank 3.7: 30 + 0.7 * 10 = 37. Group 2: its one value.
    assert answer[1] == (25, pytest.approx(37))
    assert answer[2] == (100, 100)


def test_nothing_to_rank_gives_no_answer(facts):
    assert percentiles(facts.filter(group=3), "first_reply_seconds") == {}
    assert percentiles(facts, "first_reply_seconds", group="group", wanted=(0.5,))[1] == (25,)
