"""Keyset pages (comptoir.workspace.paging): every row once, in order, forwards and backwards, ties included."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.tickets.models import Priority, Ticket
from comptoir.workspace.paging import cursor_of, keyset_page
from comptoir.workspace.selectors import SORTS

pytestmark = pytest.mark.django_db

PRIORITIES = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT]


@pytest.fixture
def tickets(make_ticket) -> list[Ticket]:
    """23 tickets whose dates and priorities repeat: several share a sort key but for their id."""
    made = [make_ticket(email=f"p{n}@example.org", subject=f"T{n}") for n in range(23)]
    start = timezone.now() - timedelta(days=30)
    for n, ticket in enumerate(made):
        Ticket.objects.filter(pk=ticket.pk).update(
            created_at=start + timedelta(hours=n % 5),
            updated_at=start + timedelta(hours=n % 7),
            priority=PRIORITIES[n % 4],
            # The "due" sort serves the view of tickets with a clock counting: every one has a due time here.
            sla_due_at=start + timedelta(hours=n % 6),
        )
    return made


def walk_forwards(order, size):
    pages, after = [], ""
    while True:
        page = keyset_page(Ticket.objects.all(), order, after=after, size=size)
        pages.append(page)
        if page.next_cursor is None:
            return pages
        after = page.next_cursor


@pytest.mark.parametrize("sort", SORTS)
def test_pages_forwards_give_every_row_once_in_the_order_of_the_sort(tickets, sort):
    order = SORTS[sort]
    expected = list(Ticket.objects.order_by(*order).values_list("pk", flat=True))

    pages = walk_forwards(order, size=5)

    assert [len(page.rows) for page in pages] == [5, 5, 5, 5, 3]
    assert [row.pk for page in pages for row in page.rows] == expected
    assert [page.is_first for page in pages] == [True, False, False, False, False]
    assert pages[0].previous_cursor is None and all(page.previous_cursor for page in pages[1:])


@pytest.mark.parametrize("sort", SORTS)
def test_pages_backwards_give_the_same_pages(tickets, sort):
    order = SORTS[sort]
    forwards = walk_forwards(order, size=5)

    backwards, before = [], forwards[-1].previous_cursor
    while before:
        page = keyset_page(Ticket.objects.all(), order, before=before, size=5)
        backwards.append(page)
        before = page.previous_cursor

    assert [[row.pk for row in page.rows] for page in reversed(backwards)] == [
        [row.pk for row in page.rows] for page in forwards[:-1]
    ]
    assert backwards[-1].is_first and not any(page.is_first for page in backwards[:-1])


def test_a_cursor_names_a_position_not_a_row_a_ticket_updated_meanwhile_is_not_shown_twice(tickets):
    order = SORTS["-updated"]
    first = keyset_page(Ticket.objects.all(), order, size=5)
    # The first page's top ticket is answered: it moves to the top, before the cursor.
    Ticket.objects.filter(pk=first.rows[0].pk).update(updated_at=timezone.now())

    second = keyset_page(Ticket.objects.all(), order, after=first.next_cursor or "", size=5)

    assert not {row.pk for row in first.rows} & {row.pk for row in second.rows}


def test_a_cursor_reads_back_exactly_to_the_microsecond(tickets):
    ticket = Ticket.objects.order_by("-updated_at", "-id").first()
    assert ticket is not None

    cursor = cursor_of(ticket, SORTS["-updated"])

    page = keyset_page(Ticket.objects.all(), SORTS["-updated"], before=cursor, size=50)
    assert page.rows == [] and page.is_first
    after = keyset_page(Ticket.objects.all(), SORTS["-updated"], after=cursor, size=50)
    assert len(after.rows) == len(tickets) - 1 and ticket not in after.rows


def test_an_ordering_that_goes_two_ways_is_refused():
    with pytest.raises(ValueError, match="one way"):
        keyset_page(Ticket.objects.all(), ("-updated_at", "id"), size=5)
